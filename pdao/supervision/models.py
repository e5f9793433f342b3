"""安全监管: monitoring rules the supervisor configures, and the alerts they raise."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pdao.core.messages import render_stored
from pdao.supervision.choices import DEFAULTS, AlertStatus, Severity


class MonitoringRule(models.Model):
    """监测规则 — one rule of `pdao.supervision.rules`, with the supervisor's settings: the
    threshold it compares with, the window it looks back over, and the severity it raises."""

    code = models.CharField(_("规则代码"), max_length=40, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    severity = models.CharField(_("级别"), max_length=20, choices=Severity.choices)
    threshold = models.FloatField(_("阈值"))
    window_minutes = models.PositiveIntegerField(_("时间窗口（分钟）"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("监测规则")
        verbose_name_plural = _("监测规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def label(self) -> str:
        """The rule's name in the reader's language (the stored name is the platform's)."""
        return str(DEFAULTS[self.code].name) if self.code in DEFAULTS else self.name

    @property
    def explanation(self) -> str:
        return str(DEFAULTS[self.code].description) if self.code in DEFAULTS else self.description


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
    # What the rule found, as a message code with parameters (pdao.core.messages) rendered in
    # the reader's language; alerts from before codes keep their text in `title_text`.
    message = models.JSONField(_("告警内容"), default=dict, blank=True)  # {"code", "params"}
    title_text = models.CharField(_("告警内容"), max_length=300, db_column="title")
    # [{"code", "params", "url"}] (older: [{"label", "url"}]): links to records, no data
    evidence = models.JSONField(_("证据"), default=list)
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

    @property
    def title(self) -> str:
        """What the rule found, in the reader's language."""
        return render_stored(self.message | {"message": self.title_text})

    @title.setter
    def title(self, text: str) -> None:  # a title written as text (tests, older callers)
        self.message, self.title_text = {}, text

    @property
    def evidence_links(self) -> list[dict]:
        """The evidence as {"label", "url"}, each label in the reader's language."""
        return [
            {"label": render_stored(e, fallback_key="label"), "url": e.get("url", "")}
            for e in self.evidence
        ]


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


class SpotCheck(models.Model):
    """数据样本抽查 — a random sample of deliveries in a period, stratified by product and
    consumer and drawn from a recorded seed (anyone can redraw it and get the same sample),
    each delivery reviewed against its product's declared output and disclosure policy. The
    draw is anchored before review begins; the completed check is filed (备案) and anchored."""

    class Status(models.TextChoices):
        REVIEWING = "reviewing", _("复核中")
        COMPLETED = "completed", _("已完成")

    code = models.CharField(_("抽查编号"), max_length=30, unique=True)
    title = models.CharField(_("抽查名称"), max_length=200)
    period_start = models.DateTimeField(_("期间起"))
    period_end = models.DateTimeField(_("期间止"))  # exclusive; never after the draw
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answered_only = models.BooleanField(_("仅抽查成功交付"), default=True)
    size = models.PositiveIntegerField(_("样本量"))
    seed = models.CharField(_("随机种子"), max_length=64)
    population = models.PositiveIntegerField(_("总体数量"), default=0)
    strata = models.JSONField(_("分层"), default=list)  # [{"product", "consumer", "n", "drawn"}]
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.REVIEWING
    )
    conclusion = models.TextField(_("抽查结论"), blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("抽样时间"), auto_now_add=True)
    completed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("样本抽查")
        verbose_name_plural = _("样本抽查")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True, completed_by__isnull=True)
                | Q(completed_at__isnull=False, completed_by__isnull=False),
                name="%(app_label)s_%(class)s_completed_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class SpotCheckItem(models.Model):
    """One sampled delivery: the automatic checks (each passed, failed or not applicable, with
    a note) and the reviewer's conclusion. A non-compliant finding can open an incident."""

    class Conclusion(models.TextChoices):
        PENDING = "pending", _("待复核")
        COMPLIANT = "compliant", _("合规")
        OBSERVATION = "observation", _("需关注")
        NONCOMPLIANT = "noncompliant", _("不合规")

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    delivery = models.ForeignKey("products.Delivery", on_delete=models.PROTECT, related_name="+")
    checks = models.JSONField(_("核验结果"), default=dict)  # code → {"passed", "note"}
    conclusion = models.CharField(
        _("复核结论"), max_length=20, choices=Conclusion.choices, default=Conclusion.PENDING
    )
    note = models.TextField(_("复核意见"), blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="findings", null=True, blank=True
    )

    class Meta:
        verbose_name = _("抽查样本")
        verbose_name_plural = _("抽查样本")
        ordering = ["spot_check", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["spot_check", "delivery"], name="%(app_label)s_%(class)s_once"
            ),
            models.CheckConstraint(
                condition=Q(conclusion__in=["pending", "compliant", "observation", "noncompliant"]),
                name="%(app_label)s_%(class)s_conclusion_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check.code} #{self.delivery_id}"

    @property
    def checks_passed(self) -> bool | None:
        """True when every applicable check passed, False when one failed, None when none ran."""
        results = [c["passed"] for c in self.checks.values() if c["passed"] is not None]
        return all(results) if results else None
