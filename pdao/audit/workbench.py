from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.audit.models import AuditEvent
from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work


@pending_work(Role.SUPERVISOR)
def failed_logins_today(user):
    since = timezone.now() - timedelta(hours=24)
    count = AuditEvent.objects.filter(action="auth.login_failed", occurred_at__gte=since).count()
    yield WorkItem(
        _("近24小时登录失败"),
        count,
        reverse("audit:event_list") + "?action=auth.login_failed",
        hint=_("关注集中失败的来源地址"),
    )
