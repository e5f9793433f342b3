"""Running the monitoring rules and handling their alerts. Rules run every minute in the task
worker (the task queues its next run) and are started by the events that matter (a delivery,
a zone query); each new alert is audited and, from high severity up, sent to the supervisors."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.core.identity import SCHEDULER
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation
from pdao.notifications.services import holders, notify
from pdao.supervision import rules as catalogue
from pdao.supervision.choices import OPEN_STATUSES, SEVERITY_RANK, AlertStatus, Severity
from pdao.supervision.models import Alert, MonitoringRule

ALERT_RAISE = actions.define("alert.raise", gettext_lazy("监测告警"))
ALERT_HANDLE = actions.define("alert.handle", gettext_lazy("处理告警"))
RULE_UPDATE = actions.define("monitoring_rule.update", gettext_lazy("修改监测规则"))
EVERY_SECONDS = 60


def ensure_rules() -> list[MonitoringRule]:
    """The rule catalogue in the database, with defaults for rules not configured yet."""
    for code, default in catalogue.DEFAULTS.items():
        with translation.override(settings.LANGUAGE_CODE):  # stored in the platform language
            name, description = str(default.name), str(default.description)
        MonitoringRule.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "severity": default.severity,
                "threshold": default.threshold,
                "window_minutes": default.window_minutes,
            },
        )
    return list(MonitoringRule.objects.all())


def run_rules(*, now=None, codes=None) -> list[Alert]:
    """Evaluate every enabled rule (or `codes`) at `now`; returns the alerts raised anew."""
    now = now or timezone.now()
    raised = []
    for rule in ensure_rules():
        if not rule.enabled or (codes and rule.code not in codes):
            continue
        for finding in catalogue.RULES[rule.code](rule, now):
            alert = _raise(rule, finding, now)
            if alert is not None:
                raised.append(alert)
    return raised


def _raise(rule: MonitoringRule, finding: catalogue.Finding, now) -> Alert | None:
    fingerprint = f"{rule.code}:{finding.subject}"[:200]
    with transaction.atomic():
        updated = Alert.objects.filter(fingerprint=fingerprint, status__in=OPEN_STATUSES).update(
            count=F("count") + 1,
            last_seen=now,
            evidence=finding.evidence,
            message=finding.message.as_dict(),
            title_text="",
        )
        if updated:
            return None
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    rule=rule,
                    severity=rule.severity,
                    fingerprint=fingerprint,
                    subject=finding.subject[:200],
                    message=finding.message.as_dict(),
                    evidence=finding.evidence,
                    last_seen=now,
                )
        except IntegrityError:  # raised meanwhile by another run
            return None
        record(
            ALERT_RAISE,
            by=SCHEDULER,
            target=alert,
            changes={"rule": rule.code, "severity": rule.severity, "subject": alert.subject},
            summary=_("监测告警（%(rule)s）：%(title)s")
            % {"rule": rule.name, "title": alert.title},
        )
        if SEVERITY_RANK[Severity(rule.severity)] >= SEVERITY_RANK[Severity.HIGH]:
            notify(
                holders(Role.SUPERVISOR),
                subject=_("【%(sev)s】%(rule)s")
                % {"sev": alert.get_severity_display(), "rule": rule.name},
                body=alert.title,
                link=reverse("supervision:alert_detail", args=[alert.pk]),
            )
    return alert


_NEXT = {
    AlertStatus.NEW: (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE),
    AlertStatus.ACKNOWLEDGED: (AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE),
}


@transaction.atomic
def handle_alert(alert: Alert, *, by, status: str, note: str) -> Alert:
    """Move an alert along new → acknowledged → resolved / false positive, with a note."""
    if by is None or not by.has_perm(Perm.SUPERVISION_MANAGE):
        raise RuleViolation(_("没有执行此操作的权限。"))
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if status not in _NEXT.get(AlertStatus(alert.status), ()):
        raise RuleViolation(_("告警当前状态下不能这样处理。"))
    if not note.strip():
        raise RuleViolation(_("请填写处理说明。"))
    old = alert.status
    alert.status = status
    alert.handled_by, alert.handled_at = by, timezone.now()
    alert.notes = [
        *alert.notes,
        {"at": alert.handled_at.isoformat(), "by": by.username, "status": status, "note": note},
    ]
    alert.save(update_fields=["status", "handled_by", "handled_at", "notes"])
    record(
        ALERT_HANDLE,
        by=by,
        target=alert,
        changes={"status": [old, status]},
        summary=_("告警 #%(pk)s：%(status)s")
        % {"pk": alert.pk, "status": alert.get_status_display()},
    )
    return alert


@transaction.atomic
def update_rule(rule: MonitoringRule, *, by, enabled: bool, severity: str, threshold: float,
                window_minutes: int) -> MonitoringRule:  # fmt: skip
    if by is None or not by.has_perm(Perm.SUPERVISION_MANAGE):
        raise RuleViolation(_("没有执行此操作的权限。"))
    if severity not in Severity.values or threshold < 0 or not 1 <= window_minutes <= 10080:
        raise RuleViolation(_("级别、阈值（不小于 0）或时间窗口（1–10080 分钟）无效。"))
    changes = {
        name: [getattr(rule, name), value]
        for name, value in (("enabled", enabled), ("severity", severity),
                            ("threshold", threshold), ("window_minutes", window_minutes))
        if getattr(rule, name) != value
    }  # fmt: skip
    for name, (_old, value) in changes.items():
        setattr(rule, name, value)
    rule.save()
    record(
        RULE_UPDATE,
        by=by,
        target=rule,
        changes=changes,
        summary=_("修改监测规则「%(name)s」") % {"name": rule.name},
    )
    return rule


def on_records_written(sender, **kwargs) -> None:
    """The receiver of `pdao.core.monitoring.records_written`: watched records were written."""
    ensure_scheduled()


def ensure_scheduled() -> None:
    """Queue the monitoring task unless one is queued already (checked at most once a minute
    per process): called after deliveries and zone queries, and by the task itself."""
    if not cache.add("pdao:supervision:scheduled", 1, EVERY_SECONDS):
        return
    from django_tasks_db.models import DBTaskResult

    from pdao.supervision.tasks import monitor  # tasks import this module

    if DBTaskResult.objects.filter(
        task_path__endswith="supervision.tasks.monitor", status="READY"
    ).exists():
        return
    monitor.using(run_after=timezone.now() + timedelta(seconds=EVERY_SECONDS)).enqueue()
