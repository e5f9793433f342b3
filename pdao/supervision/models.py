"""安全监管: monitoring rules the supervisor configures, and the alerts they raise."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pdao.supervision.choices import AlertStatus, Severity


class MonitoringRule(models.Model):
    """监测规则 — one rule of `pdao.supervision.rules`, with the supervisor's settings: the
    threshold it compares with, the window it looks back over, and the severity it raises."""

    code = models.CharField(_("规则代码"), max_length=40, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    severity = models.CharField(_("级别"), max_length=20, choices=Severity.choices)
    threshold = models.FloatField(_("阈值"))
    window_minutes = models.PositiveIntegerField(_("时间窗口(分钟)"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("监测规则")
        verbose_name_plural = _("监测规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Alert(models.Model):
    """告警 — what a rule found about one subject (a consumer and product, an authorization, a
    credential). Repeated findings update the open alert instead of raising new ones. Workflow:
    new → acknowledged → resolved or false positive, each step with a note."""

    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="alerts")
    severity = models.CharField(_("级别"), max_length=20, choices=Severity.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=AlertStatus.choices, default=AlertStatus.NEW
    )
    fingerprint = models.CharField(max_length=200)  # rule + subject: one open alert each
    subject = models.CharField(_("对象"), max_length=200)
    title = models.CharField(_("告警内容"), max_length=300)
    evidence = models.JSONField(_("证据"), default=list)  # [{"label", "url"}]: records, no data
    count = models.PositiveIntegerField(_("触发次数"), default=1)
    first_seen = models.DateTimeField(_("首次发现"), auto_now_add=True)
    last_seen = models.DateTimeField(_("最近发现"))
    handled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    notes = models.JSONField(
        _("处理记录"), default=list, blank=True
    )  # [{"at", "by", "status", "note"}]

    class Meta:
        verbose_name = _("告警")
        verbose_name_plural = _("告警")
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["status", "severity"])]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=["new", "acknowledged"]),
                name="%(app_label)s_%(class)s_one_open_per_fingerprint",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AlertStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} {self.subject}"


class Incident(models.Model):
    """安全事件 — what ties alerts and emergency actions together, from opening to a closing
    report (exported as Word and PDF, its hash on the ledger)."""

    class Status(models.TextChoices):
        OPEN = "open", _("处置中")
        CLOSED = "closed", _("已结案")

    code = models.CharField(_("事件编号"), max_length=30, unique=True)
    title = models.CharField(_("事件名称"), max_length=200)
    severity = models.CharField(_("级别"), max_length=20, choices=Severity.choices)
    description = models.TextField(_("事件描述"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    alerts = models.ManyToManyField(Alert, related_name="incidents", blank=True)
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("开立时间"), auto_now_add=True)
    closing_report = models.TextField(_("结案报告"), blank=True)
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("安全事件")
        verbose_name_plural = _("安全事件")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_by__isnull=True)
                | Q(closed_at__isnull=False, closed_by__isnull=False),
                name="%(app_label)s_%(class)s_closed_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class EmergencyAction(models.Model):
    """应急处置 — a stop put on an authorization, a product, a credential or a user, effective at
    the very next request through the gateway, the zone and the UI; lifted by the bureau."""

    class Kind(models.TextChoices):
        SUSPEND_AUTHORIZATION = "suspend_authorization", _("暂停授权")
        FREEZE_PRODUCT = "freeze_product", _("冻结产品")
        SUSPEND_CREDENTIAL = "suspend_credential", _("停用调用凭证")
        LOCK_USER = "lock_user", _("锁定用户")

    kind = models.CharField(_("处置措施"), max_length=30, choices=Kind.choices)
    target = models.CharField(_("对象"), max_length=100)  # a code, client id or username
    alert = models.ForeignKey(
        Alert, on_delete=models.PROTECT, related_name="actions", null=True, blank=True
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="actions", null=True, blank=True
    )
    reason = models.TextField(_("理由"))
    taken_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(_("处置时间"), auto_now_add=True)
    lifted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lift_reason = models.TextField(_("解除理由"), blank=True)

    class Meta:
        verbose_name = _("应急处置")
        verbose_name_plural = _("应急处置")
        ordering = ["-taken_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | Q(lifted_at__isnull=False, lifted_by__isnull=False),
                name="%(app_label)s_%(class)s_lifted_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None
