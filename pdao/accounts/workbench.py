from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.accounts.models import Organisation
from pdao.core.permissions import Perm, Role
from pdao.core.workbench import WorkItem, pending_work


@pending_work(Role.BUREAU_ADMIN)
def organisations_to_verify(user):
    count = Organisation.objects.filter(verified_at__isnull=True, is_active=True).count()
    yield WorkItem(
        _("待核验的组织"),
        count,
        reverse("accounts:organisation_list") + "?verified=no",
        hint=_("核对营业执照与统一社会信用代码后予以核验"),
    )


@pending_work(Role.BUREAU_ADMIN, Role.SUPERVISOR)
def locked_accounts(user):
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    count = (
        AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
        )
        .values("username")
        .distinct()
        .count()
    )
    url = (
        reverse("accounts:user_list")
        if user.has_perm(Perm.USERS_MANAGE)
        else reverse("audit:event_list") + "?action=auth.locked_out"
    )
    yield WorkItem(
        _("被锁定的账号"), count, url, hint=_("连续登录失败触发的锁定"), urgent=count > 0
    )


@pending_work(*Role)
def own_organisation_unverified(user):
    organisation = user.organisation
    if organisation is not None and not organisation.is_verified:
        yield WorkItem(
            _("本单位尚未通过数据局核验"),
            1,
            reverse("accounts:organisation_detail", args=[organisation.pk]),
            hint=_("核验前部分业务无法办理，请联系市数据局"),
        )
