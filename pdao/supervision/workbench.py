"""The supervisor's open alerts, the most severe first."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work
from pdao.supervision.choices import OPEN_STATUSES, Severity
from pdao.supervision.models import Alert


@pending_work(Role.SUPERVISOR)
def open_alerts(user):
    url = reverse("supervision:alert_list")
    for severity in (Severity.CRITICAL, Severity.HIGH):
        count = Alert.objects.filter(status__in=OPEN_STATUSES, severity=severity).count()
        yield WorkItem(
            _("未处理的%(sev)s级告警") % {"sev": severity.label},
            count,
            f"{url}?severity={severity}",
            urgent=count > 0,
        )
    yield WorkItem(
        _("未处理的告警(全部)"), Alert.objects.filter(status__in=OPEN_STATUSES).count(), url
    )
