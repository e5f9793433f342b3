from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    CRITICAL = "critical", _("严重")


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class AlertStatus(models.TextChoices):
    NEW = "new", _("新告警")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    RESOLVED = "resolved", _("已处置")
    FALSE_POSITIVE = "false_positive", _("误报")


OPEN_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)
