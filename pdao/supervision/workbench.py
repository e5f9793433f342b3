"""The supervisor's open alerts, the most severe first, and spot-check samples to review."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work
from pdao.supervision.choices import OPEN_STATUSES, Severity
from pdao.supervision.models import Alert, SpotCheck, SpotCheckItem


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
        _("未处理的告警（全部）"), Alert.objects.filter(status__in=OPEN_STATUSES).count(), url
    )


@pending_work(Role.SUPERVISOR)
def spot_checks_to_finish(user):
    reviewing = SpotCheck.objects.filter(status=SpotCheck.Status.REVIEWING)
    pending = SpotCheckItem.objects.filter(
        spot_check__in=reviewing, conclusion=SpotCheckItem.Conclusion.PENDING
    ).count()
    yield WorkItem(
        _("待复核的抽查样本"), pending, reverse("supervision:spotcheck_list"), urgent=False
    )
