"""What waits for whom in the authorization review: each step's owner sees its queue."""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.authorization.choices import (
    ApplicationStatus,
    AuthorizationStatus,
    ExitStatus,
    QualificationStatus,
)
from pdao.authorization.models import Application, Authorization, Exit, Qualification
from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work

S = ApplicationStatus


def _list(status: str = "") -> str:
    return reverse("authorization:application_list") + (f"?status={status}" if status else "")


@pending_work(Role.BUREAU_ADMIN)
def bureau_queue(user):
    today = timezone.localdate()
    counts = {
        s: Application.objects.filter(status=s).count()
        for s in (S.SUBMITTED, S.ASSESSMENT, S.SCORING, S.DECISION, S.APPROVED)
    }
    yield WorkItem(_("待受理的授权申请"), counts[S.SUBMITTED], _list(S.SUBMITTED))
    yield WorkItem(_("待完成事前评估"), counts[S.ASSESSMENT], _list(S.ASSESSMENT))
    yield WorkItem(
        _("专家评审中"),
        counts[S.SCORING],
        _list(S.SCORING),
        hint=_("至少两位专家评分后可结束评审并公示"),
    )
    notice_over = Application.objects.filter(status=S.NOTICE, notice_ends__lt=today).count()
    yield WorkItem(_("公示期满待决定"), counts[S.DECISION] + notice_over, _list(S.NOTICE))
    yield WorkItem(_("待签署的授权运营协议"), counts[S.APPROVED], _list(S.APPROVED))
    overdue = Application.objects.filter(
        ~Q(status=S.NOTICE), status__in=[*counts, S.OPINIONS], step_deadline__lt=today
    ).count()
    yield WorkItem(_("超过办理时限的申请"), overdue, _list(), urgent=overdue > 0)
    waiting = Qualification.objects.filter(status=QualificationStatus.SUBMITTED).count()
    yield WorkItem(_("待核验的运营单位资质"), waiting, reverse("authorization:qualification_list"))


@pending_work(Role.PROVIDER)
def opinions_requested(user):
    count = Application.objects.filter(
        status=S.OPINIONS, opinions__provider_id=user.organisation_id, opinions__verdict=""
    ).count()
    yield WorkItem(_("待提出意见的授权申请"), count, _list(S.OPINIONS), urgent=count > 0)


@pending_work(Role.REVIEWER)
def applications_to_score(user):
    count = (
        Application.objects.filter(status=S.SCORING)
        .exclude(operator_id=user.organisation_id)
        .exclude(scores__reviewer=user)
        .count()
    )
    yield WorkItem(_("待评审的授权申请"), count, _list(S.SCORING))


@pending_work(Role.OPERATOR)
def operator_queue(user):
    own = Application.objects.filter(operator_id=user.organisation_id)
    yield WorkItem(
        _("退回补正的申请"),
        own.filter(status=S.RETURNED).count(),
        _list(S.RETURNED),
        urgent=own.filter(status=S.RETURNED).exists(),
    )
    yield WorkItem(
        _("待签署的授权运营协议"), own.filter(status=S.APPROVED).count(), _list(S.APPROVED)
    )
    q = Qualification.objects.filter(organisation_id=user.organisation_id).first()
    soon = timezone.localdate() + timedelta(days=60)
    expiring = int(bool(q and q.valid_until and q.valid_until <= soon))
    yield WorkItem(
        _("60 天内到期的资质证书"),
        expiring,
        reverse("authorization:qualification"),
        urgent=bool(expiring),
    )


@pending_work(Role.BUREAU_ADMIN)
def exits_to_handle(user):
    yield WorkItem(
        _("已终止、尚未启动退出的授权"),
        Authorization.objects.filter(
            status__in=[AuthorizationStatus.REVOKED, AuthorizationStatus.EXPIRED],
            exit__isnull=True,
        ).count(),
        reverse("authorization:exits"),
        urgent=True,
    )
    yield WorkItem(
        _("运营单位已确认、待签认的退出"),
        Exit.objects.filter(status=ExitStatus.CONFIRMED).count(),
        reverse("authorization:exits"),
    )


@pending_work(Role.OPERATOR)
def exits_to_confirm(user):
    yield WorkItem(
        _("待确认的授权退出"),
        Exit.objects.filter(
            authorization__operator_id=user.organisation_id, status=ExitStatus.WOUND_DOWN
        ).count(),
        reverse("authorization:exits"),
        urgent=True,
    )
