"""The showcase's pending work: nominations to score, decisions to take, cases to write."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work
from pdao.showcase import disclosures, evaluations, kpis
from pdao.showcase.choices import EvaluationStatus, NominationStatus, RectificationStatus
from pdao.showcase.models import Evaluation, Nomination, Rectification, Scenario, WorkReport
from pdao.showcase.scenarios import measured_use
from pdao.showcase.typical import MIN_SCORES, conflict_of, domains_of


def _nominations(status: str = "") -> str:
    url = reverse("showcase:nominations")
    return f"{url}?status={status}" if status else url


@pending_work(Role.REVIEWER)
def expert(user):
    open_ = (
        Nomination.objects.filter(status=NominationStatus.NOMINATED)
        .exclude(scores__reviewer=user)
        .select_related("scenario__authorization__application", "scenario__authorization__operator")
    )
    yield WorkItem(
        _("待评审的典型场景"),
        sum(1 for n in open_ if conflict_of(n, user) is None),
        _nominations(NominationStatus.NOMINATED),
    )


@pending_work(Role.TASKFORCE)
def taskforce(user):
    ready = (
        Nomination.objects.filter(status=NominationStatus.NOMINATED)
        .annotate(counted=Count("scores", filter=Q(scores__recused=False)))
        .filter(counted__gte=MIN_SCORES)
    )
    yield WorkItem(
        _("专家评审已完成、待认定的典型场景"),
        ready.count(),
        _nominations(NominationStatus.NOMINATED),
    )


@pending_work(Role.OPERATOR)
def operator(user):
    unwritten = Scenario.objects.filter(
        authorization__operator_id=user.organisation_id, authorization__status="active"
    ).filter(Q(background="") | Q(approach="") | Q(outcomes=""))
    yield WorkItem(
        _("待编写案例的应用场景"),
        unwritten.count(),
        reverse("showcase:scenarios"),
        hint=_("典型场景须有完整案例才能被推荐"),
    )


@pending_work(Role.INDUSTRY_LEAD)
def department(user):
    domains = domains_of(user.organisation_id)
    candidates = [
        s
        for s in Scenario.objects.filter(
            authorization__application__domain__in=domains, authorization__status="active"
        )
        .exclude(background="")
        .exclude(approach="")
        .exclude(outcomes="")
        .exclude(nominations__status__in=[NominationStatus.NOMINATED, NominationStatus.CONFIRMED])
        .select_related("authorization")
    ]
    use = measured_use(candidates)
    yield WorkItem(
        _("本领域可推荐的应用场景"),
        sum(1 for s in candidates if use[s.pk].in_production),
        reverse("showcase:scenarios"),
    )
    yield WorkItem(
        _("本部门推荐、评审中的典型场景"),
        Nomination.objects.filter(
            department_id=user.organisation_id, status=NominationStatus.NOMINATED
        ).count(),
        _nominations(NominationStatus.NOMINATED),
    )


@pending_work(Role.BUREAU_ADMIN, Role.OPERATOR)
def disclosures_due(user):
    organisation = user.organisation
    if organisation is None:
        return
    due = disclosures.due_for(organisation)
    yield WorkItem(
        _("待公开的年度信息披露"),
        len(due),
        reverse("showcase:disclosure_mine"),
        hint=_("每年 3 月 31 日前公开上一年度"),
        urgent=bool(due),
    )


@pending_work(Role.TASKFORCE)
def programme(user):
    yield WorkItem(
        _("逾期未公开的年度信息披露"),
        len(disclosures.late()),
        reverse("showcase:disclosures"),
        urgent=True,
    )
    yield WorkItem(
        _("待发起绩效评估的授权"), evaluations.due().count(), reverse("showcase:evaluations")
    )
    yield WorkItem(
        _("待验收的整改"),
        Rectification.objects.filter(status=RectificationStatus.SUBMITTED).count(),
        reverse("showcase:evaluations"),
    )
    last_month = kpis.months_back(kpis.month_of(timezone.localdate()), 2)[0]
    yield WorkItem(
        _("上月工作报告待生成"),
        0 if WorkReport.objects.filter(period="month", label=last_month).exists() else 1,
        reverse("showcase:reports"),
        hint=last_month,
    )


@pending_work(Role.REVIEWER)
def evaluations_to_score(user):
    open_ = (
        Evaluation.objects.filter(status=EvaluationStatus.SCORING)
        .exclude(scores__reviewer=user)
        .select_related("authorization__operator")
    )
    yield WorkItem(
        _("待评分的绩效评估"),
        sum(1 for e in open_ if evaluations.conflict_of(e, user) is None),
        reverse("showcase:evaluations"),
    )


@pending_work(Role.OPERATOR)
def rectifications(user):
    yield WorkItem(
        _("绩效评估整改任务"),
        Rectification.objects.filter(
            evaluation__authorization__operator_id=user.organisation_id,
            status=RectificationStatus.OPEN,
        ).count(),
        reverse("showcase:evaluations"),
        urgent=True,
    )
