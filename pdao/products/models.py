"""数据产品与交付: products built on an authorization, their compliance review and filing,
prices, consumers' subscriptions and credentials, and the record of every delivery."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.authorization.choices import OutputForm
from pdao.products.choices import (
    Charging,
    ProductKind,
    ProductStatus,
    SignOff,
    SubscriptionStatus,
    delivery_result,
)


class Product(models.Model):
    """数据产品 — what an operator sells, built on exactly one authorization: it runs through the
    zone engine under that authorization's access decision at every call, so it never outlives
    or exceeds it. An API product is an SQL template with typed parameters."""

    code = models.CharField(_("产品编号"), max_length=30, unique=True)
    name = models.CharField(_("产品名称"), max_length=100)
    summary = models.TextField(_("产品说明"))
    kind = models.CharField(_("产品类型"), max_length=20, choices=ProductKind.choices)
    authorization = models.ForeignKey(
        "authorization.Authorization", on_delete=models.PROTECT, related_name="products"
    )
    operator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="products"
    )
    purpose = models.CharField(_("用途类别"), max_length=20)  # the authorization's 公益/产业
    form = models.CharField(_("输出形式"), max_length=20)  # the zone engine's form
    sql = models.TextField(_("查询模板"))
    parameters = models.JSONField(_("参数"), default=list, blank=True)
    output_columns = models.JSONField(_("输出字段"), default=list, blank=True)
    sections = models.JSONField(_("报告章节"), default=list, blank=True)  # report products
    key_column = models.CharField(_("记录标识列"), max_length=64, blank=True)
    epsilon_per_call = models.FloatField(_("每个参数组合消耗 ε"), default=0.5)
    price_cap = models.DecimalField(
        _("上限收费标准（元/次）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    expected_volume = models.PositiveBigIntegerField(
        _("预计年计费量"), default=0
    )  # set with the cap: cap × volume is held against the operator's MAR
    status = models.CharField(
        _("状态"), max_length=20, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    status_reason = models.TextField(_("状态说明"), blank=True)
    filing_no = models.CharField(_("备案编号"), max_length=30, blank=True)
    filed_at = models.DateTimeField(_("备案时间"), null=True, blank=True)
    listed_at = models.DateTimeField(_("上架时间"), null=True, blank=True)
    # The latest report edition asked of the task worker (its task result id): the progress
    # page reads it, and a second request waits while it is queued or running.
    generation_task = models.CharField(max_length=64, blank=True, editable=False)
    revision = models.PositiveIntegerField(default=1)  # released answers are kept per revision
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)  # 应急处置
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("数据产品")
        verbose_name_plural = _("数据产品")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProductStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(filing_no="", filed_at__isnull=True)
                | (~Q(filing_no="") & Q(filed_at__isnull=False)),
                name="%(app_label)s_%(class)s_filing_pair",
            ),
            models.UniqueConstraint(
                fields=["filing_no"],
                condition=~Q(filing_no=""),
                name="%(app_label)s_%(class)s_filing_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_free(self) -> bool:
        return self.purpose == "public_welfare"

    @property
    def form_label(self) -> str:
        return str(OutputForm(self.form).label) if self.form in OutputForm.values else self.form

    @property
    def record_level(self) -> bool:
        """Outputs that carry records (and so a watermark): de-identified records. A model
        output answers for one object per request; aggregates are protected by control."""
        return self.form == "deidentified"


class PricePlan(models.Model):
    """价格方案 — a published plan: free (公益), or per call, per month or by volume, with tiers,
    each price at or below the product's cap (上限收费标准); quotas and a rate per credential."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="plans")
    name = models.CharField(_("方案名称"), max_length=50)
    charging = models.CharField(_("计费方式"), max_length=20, choices=Charging.choices)
    unit_price = models.DecimalField(
        _("单价（元/次或元/行）"), max_digits=12, decimal_places=4, default=0
    )
    monthly_fee = models.DecimalField(_("月费（元）"), max_digits=12, decimal_places=2, default=0)
    tiers = models.JSONField(_("阶梯价"), default=list, blank=True)  # [[from_call, unit_price]…]
    calls_per_month = models.PositiveIntegerField(_("每月调用次数上限"), default=0)
    rows_per_month = models.PositiveIntegerField(_("每月输出行数上限"), default=0)
    rate_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=60)
    is_active = models.BooleanField(_("可订阅"), default=True)

    class Meta:
        verbose_name = _("价格方案")
        verbose_name_plural = _("价格方案")
        ordering = ["product", "pk"]

    def __str__(self) -> str:
        return f"{self.product.code} {self.name}"


class ComplianceReview(models.Model):
    """合规审查 — one submission of a product: the automatic checklist and two sign-offs (a
    reviewer and the supervisor); both passing files the product (备案)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("审查中")
        PASSED = "passed", _("通过")
        FAILED = "failed", _("未通过")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reviews")
    checks = models.JSONField(_("审查清单"), default=dict)  # Check → {"passed", "note"}
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    outcome = models.CharField(
        _("结论"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING
    )

    class Meta:
        verbose_name = _("合规审查")
        verbose_name_plural = _("合规审查")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.product.code} {self.submitted_at:%Y-%m-%d}"

    @property
    def checks_passed(self) -> bool:
        return bool(self.checks) and all(c["passed"] for c in self.checks.values())


class ReviewSignOff(models.Model):
    review = models.ForeignKey(ComplianceReview, on_delete=models.CASCADE, related_name="signoffs")
    role = models.CharField(_("签署方"), max_length=20, choices=SignOff.choices)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField(_("同意"))
    note = models.TextField(_("意见"))
    signed_at = models.DateTimeField(_("签署时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审查签署")
        verbose_name_plural = _("审查签署")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "role"], name="%(app_label)s_%(class)s_one_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.review_id} {self.role} {self.approved}"


class Subscription(models.Model):
    """订阅 — a consumer organisation's right to call one product under one plan for a term."""

    code = models.CharField(_("订阅编号"), max_length=30, unique=True)
    consumer = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="subscriptions"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(PricePlan, on_delete=models.PROTECT, related_name="subscriptions")
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("订阅时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("订阅")
        verbose_name_plural = _("订阅")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="%(app_label)s_%(class)s_term_order",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Credential(models.Model):
    """凭证 — an OAuth2 client (client credentials grant, RFC 6749 §4.4) of a consumer
    organisation. The client secret is shown once and stored hashed by django-oauth-toolkit."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="credentials"
    )
    application = models.OneToOneField(
        "oauth2_provider.Application", on_delete=models.PROTECT, related_name="credential"
    )
    name = models.CharField(_("名称"), max_length=100)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("最近轮换"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoke_reason = models.TextField(_("吊销理由"), blank=True)
    suspended_at = models.DateTimeField(_("停用时间"), null=True, blank=True)  # 应急处置

    class Meta:
        verbose_name = _("凭证")
        verbose_name_plural = _("凭证")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.application.client_id[:8]}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.suspended_at is None


class Usage(models.Model):
    """Calls and rows in one month of a subscription ("s:<id>") or of an authorization's products
    together ("a:<id>"): quota counters moved by conditional UPDATEs, so concurrent calls can
    never pass a quota between them."""

    key = models.CharField(max_length=30)
    period = models.CharField(max_length=7)  # YYYY-MM, Asia/Shanghai
    calls = models.PositiveIntegerField(default=0)
    rows = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "period"], name="%(app_label)s_%(class)s_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.period}: {self.calls} calls, {self.rows} rows"


class Release(models.Model):
    """An answer the zone released for one parameter set of a product, kept for the product's
    revision and the data versions it read: a repeated call returns it without spending ε or
    growing the differencing history again. Holds released output only."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="releases")
    params_hash = models.CharField(max_length=64)
    stamp = models.CharField(max_length=200)  # product revision + active version ids
    zone_query = models.ForeignKey(
        "zone.ZoneQuery", on_delete=models.PROTECT, related_name="+", null=True
    )
    columns = models.JSONField(default=list)
    rows = models.JSONField(default=list)
    suppressed_cells = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "params_hash", "stamp"],
                name="%(app_label)s_%(class)s_one_per_stamp",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.params_hash[:12]}"


class ReportEdition(models.Model):
    """数据报告期次 — one edition of a report product, generated in the zone from the product's
    reviewed queries and released to subscribers only after output review (结果出域审核)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待出域审核")
        RELEASED = "released", _("已发布")
        REJECTED = "rejected", _("未通过出域审核")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="editions")
    number = models.PositiveIntegerField(_("期次"))
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64)
    docx_sha256 = models.CharField(_("Word SHA-256"), max_length=64)
    pdf_bytes = models.PositiveIntegerField(default=0)
    docx_bytes = models.PositiveIntegerField(default=0)
    zone_queries = models.JSONField(default=list)  # the ZoneQuery ids it was made from
    generated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("数据报告期次")
        verbose_name_plural = _("数据报告期次")
        ordering = ["product", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "number"], name="%(app_label)s_%(class)s_one_number"
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True, reviewed_by__isnull=True)
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="%(app_label)s_%(class)s_reviewed_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} 第{self.number}期"


class DeliveryBatch(models.Model):
    """A batch of delivery digests anchored on the ledger in one entry."""

    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    count = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("交付批次")
        verbose_name_plural = _("交付批次")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.first_id}–{self.last_id}"


class Delivery(models.Model):
    """交付记录 — one authenticated gateway call (answered or refused) or report handed over:
    who, what, which parameters (their hash), how much, how it ended, and its digest, which
    goes to the ledger in a batch. Never the data itself."""

    trace_id = models.CharField(_("追踪号"), max_length=32, unique=True)
    consumer = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="deliveries", null=True
    )
    credential = models.ForeignKey(
        Credential, on_delete=models.PROTECT, related_name="deliveries", null=True
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="deliveries", null=True
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="deliveries", null=True
    )
    params_hash = models.CharField(_("参数摘要"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    bytes = models.PositiveIntegerField(_("字节数"), default=0)
    status = models.PositiveSmallIntegerField(_("HTTP 状态"))
    code = models.CharField(_("结果代码"), max_length=60, default="ok")
    latency_ms = models.FloatField(_("耗时（毫秒）"), default=0)
    watermark_id = models.CharField(_("水印标识"), max_length=16, blank=True)
    key_tags = models.JSONField(default=list, blank=True)  # keyed tags of delivered row keys
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    digest = models.CharField(_("交付摘要"), max_length=64)
    batch = models.ForeignKey(
        DeliveryBatch, on_delete=models.PROTECT, related_name="deliveries", null=True
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("交付记录")
        verbose_name_plural = _("交付记录")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["product", "created_at"]),
            models.Index(fields=["consumer", "created_at"]),
            models.Index(fields=["batch"]),
        ]

    def __str__(self) -> str:
        return self.trace_id

    @property
    def result(self):
        """How the call ended, by name (the code is the API's)."""
        return delivery_result(self.code)
