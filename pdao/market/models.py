"""数据产品交易: a filed product's 说明书 and registration (数据产品登记), its listings on data
exchanges (挂牌) with their public notice, and the orders placed for it on or off an exchange,
each with a contract both parties sign; the survey of services departments already give third
parties (存量服务摸底) and the directory of 数据商 and service firms. Money is recorded, never
moved: amounts are integer fen.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pdao.core.models import PartySignature, PublicObjection
from pdao.market.choices import (
    Delivery,
    Disposition,
    FirmCategory,
    FirmStatus,
    ListingStatus,
    OrderStatus,
    RecipientType,
    RegistrationKind,
    RegistrationStatus,
    ServiceMethod,
    SurveyStatus,
    Venue,
)


class Specification(models.Model):
    """数据产品说明书 — the part of a product's description only its operator can write; the
    rest (code, supplier, fields, source, prices) is read from the records when it is shown."""

    product = models.OneToOneField(
        "products.Product", on_delete=models.CASCADE, related_name="specification"
    )
    data_content = models.TextField(_("数据内容"), max_length=2000)
    update_frequency = models.CharField(_("更新频率"), max_length=20)  # catalogue.Frequency
    field_meanings = models.JSONField(_("字段含义"), default=dict, blank=True)  # name → meaning
    use_purpose = models.TextField(_("使用目的"), max_length=1000)
    use_term = models.CharField(_("使用期限"), max_length=200)
    allowed_users = models.TextField(_("允许的使用者"), max_length=1000)
    prohibited = models.TextField(_("禁止行为"), max_length=2000)
    use_cases = models.TextField(_("应用案例"), max_length=4000)
    delivery = models.CharField(_("交付方式"), max_length=20, choices=Delivery.choices)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("数据产品说明书")
        verbose_name_plural = _("数据产品说明书")

    def __str__(self) -> str:
        return f"{self.product.code} 说明书"


class ProductRegistration(models.Model):
    """数据产品登记 — asked by the operator, confirmed by the bureau with a 登记确认单编号, valid
    for three years or to the end of the authorization if sooner; renewed (same number) in the
    60 days before it lapses."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="registrations"
    )
    kind = models.CharField(_("登记类型"), max_length=20, choices=RegistrationKind.choices)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.SUBMITTED,
    )
    code = models.CharField(_("登记确认单编号"), max_length=30, blank=True)
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    sha256 = models.CharField(_("登记内容 SHA-256"), max_length=64, blank=True)
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    lapsed_at = models.DateTimeField(_("失效处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据产品登记")
        verbose_name_plural = _("数据产品登记")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="confirmed")
                | (~Q(code="") & Q(valid_from__isnull=False) & Q(valid_until__isnull=False)),
                name="%(app_label)s_%(class)s_confirmed_complete",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(status="submitted"),
                name="%(app_label)s_%(class)s_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.code or f"{self.product.code} {self.get_kind_display()}"


class Listing(models.Model):
    """挂牌 — a product on one data exchange, from the dossier the operator prepares to the
    exchange's listing number, with the 3-day public notice in between."""

    code = models.CharField(_("挂牌申请编号"), max_length=30, unique=True)
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="listings"
    )
    exchange = models.CharField(_("交易场所"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=20, choices=ListingStatus.choices, default=ListingStatus.DRAFT
    )
    status_reason = models.TextField(_("状态说明"), blank=True)
    exchange_listing_no = models.CharField(_("挂牌编号"), max_length=60, blank=True)
    notice_start = models.DateField(_("公示开始"), null=True, blank=True)
    notice_end = models.DateField(_("公示结束"), null=True, blank=True)
    dossier = models.JSONField(_("挂牌材料"), default=dict, blank=True)  # the JSON of the package
    package_sha256 = models.CharField(_("材料包 SHA-256"), max_length=64, blank=True)
    package_bytes = models.PositiveIntegerField(default=0)
    prepared_at = models.DateTimeField(_("材料生成时间"), null=True, blank=True)
    listed_on = models.DateField(_("挂牌日期"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("挂牌")
        verbose_name_plural = _("挂牌")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "exchange"],
                condition=~Q(status="delisted"),
                name="%(app_label)s_%(class)s_one_live_per_exchange",
            ),
            models.UniqueConstraint(
                fields=["exchange", "exchange_listing_no"],
                condition=~Q(exchange_listing_no=""),
                name="%(app_label)s_%(class)s_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.exchange}"


class ListingObjection(PublicObjection):
    """异议 — raised by anyone while a listing is on public notice, answered by the bureau."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="objections")

    class Meta(PublicObjection.Meta):
        verbose_name = _("挂牌异议")
        verbose_name_plural = _("挂牌异议")

    def __str__(self) -> str:
        return f"{self.listing} · {self.raised_by_name}"


class RelatedGroup(models.Model):
    """关联方 — organisations the bureau declares related by their credit codes: none of them
    may buy what another of them sells (no round-trip trade inflating the figures, and no
    re-development of one's own delivered product)."""

    name = models.CharField(_("关联方名称"), max_length=100)
    credit_codes = models.JSONField(_("统一社会信用代码"), default=list)
    reason = models.TextField(_("认定依据"), max_length=1000)
    declared_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("认定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("关联方")
        verbose_name_plural = _("关联方")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """订单 — a consumer's purchase of one product under one plan, placed on our market (场外)
    or on an exchange (场内, with the exchange's order number): a contract both sign, the
    payment the operator records and the buyer confirms, delivery (the subscription), the
    buyer's acceptance. 公益 orders have no payment step."""

    code = models.CharField(_("订单编号"), max_length=30, unique=True)
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="orders")
    plan = models.ForeignKey("products.PricePlan", on_delete=models.PROTECT, related_name="orders")
    consumer = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="orders_placed"
    )
    operator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="orders_received"
    )
    venue = models.CharField(_("交易方式"), max_length=10, choices=Venue.choices)
    listing = models.ForeignKey(
        Listing, on_delete=models.PROTECT, related_name="orders", null=True, blank=True
    )
    exchange_order_no = models.CharField(_("交易场所订单号"), max_length=60, blank=True)
    months = models.PositiveSmallIntegerField(_("服务期限（月）"))
    quantity = models.PositiveBigIntegerField(_("购买数量"), default=0)
    amount_fen = models.BigIntegerField(_("合同金额（分）"), default=0)
    status = models.CharField(
        _("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.ORDERED
    )
    terms = models.JSONField(_("合同条款"), default=dict)
    sha256 = models.CharField(_("合同 SHA-256"), max_length=64)
    paid_on = models.DateField(_("付款日期"), null=True, blank=True)
    paid_fen = models.BigIntegerField(_("付款金额（分）"), null=True, blank=True)
    payment_reference = models.CharField(_("银行转账流水号"), max_length=60, blank=True)
    payment_recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    payment_confirmed_at = models.DateTimeField(_("付款确认时间"), null=True, blank=True)
    subscription = models.OneToOneField(
        "products.Subscription",
        on_delete=models.PROTECT,
        related_name="order",
        null=True,
        blank=True,
    )
    delivered_at = models.DateTimeField(_("交付时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("结算时间"), null=True, blank=True)
    settlement_sha256 = models.CharField(_("结算单 SHA-256"), max_length=64, blank=True)
    reason = models.TextField(_("争议、退款或取消理由"), blank=True)
    resolution = models.TextField(_("争议处理结果"), blank=True)
    refund_reference = models.CharField(_("退款流水号"), max_length=60, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("下单时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="%(app_label)s_%(class)s_status"
            ),
            models.CheckConstraint(
                condition=Q(venue="off", exchange_order_no="")
                | (Q(venue="on") & ~Q(exchange_order_no="") & Q(listing__isnull=False)),
                name="%(app_label)s_%(class)s_venue_complete",
            ),
            models.UniqueConstraint(
                fields=["listing", "exchange_order_no"],
                condition=~Q(exchange_order_no=""),
                name="%(app_label)s_%(class)s_exchange_number_once",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_free(self) -> bool:
        return self.amount_fen == 0


class OrderSignature(PartySignature):
    """One party's signature over the contract's SHA-256."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="signatures")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "organisation"], name="%(app_label)s_order_sign_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.organisation}"


class ServiceSurvey(models.Model):
    """存量服务摸底 — the bureau asks every provider department which public data services it
    already gives third parties, by a deadline; each department returns its declarations (or
    none) once."""

    code = models.CharField(_("摸底编号"), max_length=30, unique=True)
    title = models.CharField(_("摸底名称"), max_length=200)
    instructions = models.TextField(_("填报说明"), max_length=4000, blank=True)
    deadline = models.DateField(_("填报截止日期"))
    status = models.CharField(
        _("状态"), max_length=20, choices=SurveyStatus.choices, default=SurveyStatus.OPEN
    )
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("存量服务摸底")
        verbose_name_plural = _("存量服务摸底")
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class SurveyReturn(models.Model):
    """A department's return (填报完成) for a survey: its declarations are final from then."""

    survey = models.ForeignKey(ServiceSurvey, on_delete=models.CASCADE, related_name="returns")
    provider = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="survey_returns"
    )
    services = models.PositiveIntegerField(_("申报服务数"), default=0)
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("报送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("摸底报送")
        verbose_name_plural = _("摸底报送")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "provider"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey.code} {self.provider}"


class ExistingService(models.Model):
    """One public data service a department gives a third party today, as declared, and the
    bureau's decision on it."""

    survey = models.ForeignKey(ServiceSurvey, on_delete=models.PROTECT, related_name="services")
    provider = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="existing_services"
    )
    recipient_name = models.CharField(_("服务对象名称"), max_length=200)
    recipient_credit_code = models.CharField(_("服务对象统一社会信用代码"), max_length=18)
    recipient_type = models.CharField(
        _("服务对象类型"), max_length=20, choices=RecipientType.choices
    )
    resources = models.ManyToManyField("catalogue.Resource", related_name="existing_services")
    method = models.CharField(_("提供方式"), max_length=20, choices=ServiceMethod.choices)
    purpose = models.TextField(_("用途"), max_length=1000)
    legal_basis = models.CharField(_("依据（协议或文件编号）"), max_length=200)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)  # empty: no end agreed
    charged = models.BooleanField(_("是否收费"), default=False)
    fee_fen = models.BigIntegerField(_("年收费（分）"), default=0)
    yearly_volume = models.PositiveBigIntegerField(_("年服务量"), default=0)
    safeguards = models.TextField(_("安全保障措施"), max_length=2000)
    fingerprint = models.CharField(max_length=64)  # recipient, resources and method: one each
    disposition = models.CharField(
        _("处置意见"), max_length=20, choices=Disposition.choices, default=Disposition.PENDING
    )
    disposition_note = models.TextField(_("处置说明"), blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("申报时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("存量数据服务")
        verbose_name_plural = _("存量数据服务")
        ordering = ["provider", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "provider", "fingerprint"],
                name="%(app_label)s_%(class)s_declared_once",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="%(app_label)s_%(class)s_term_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} → {self.recipient_name}"


class MigrationTask(models.Model):
    """迁移任务 — a service to be brought under 授权运营: closed only by linking the
    authorization and the listed product that replace it."""

    service = models.OneToOneField(
        ExistingService, on_delete=models.PROTECT, related_name="migration"
    )
    due_on = models.DateField(_("完成期限"))
    authorization = models.ForeignKey(
        "authorization.Authorization",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("迁移任务")
        verbose_name_plural = _("迁移任务")
        ordering = ["closed_at", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True)
                | Q(authorization__isnull=False, product__isnull=False),
                name="%(app_label)s_%(class)s_closed_by_links",
            )
        ]

    def __str__(self) -> str:
        return f"迁移 {self.service}"


class FirmApplication(models.Model):
    """数据商 or 第三方专业服务机构 — an organisation's application for one service category,
    with its qualifications, verified by the bureau; verified ones form the public directory."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="firm_applications"
    )
    category = models.CharField(_("服务类别"), max_length=20, choices=FirmCategory.choices)
    qualifications = models.TextField(_("资质说明"), max_length=4000)
    certificates = models.TextField(_("资质证书编号"), max_length=1000, blank=True)
    contact = models.CharField(_("联系方式"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=20, choices=FirmStatus.choices, default=FirmStatus.SUBMITTED
    )
    note = models.TextField(_("核验意见"), blank=True)
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("核验时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("服务机构入库申请")
        verbose_name_plural = _("服务机构入库申请")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "category"],
                condition=Q(status__in=["submitted", "verified"]),
                name="%(app_label)s_%(class)s_one_live_per_category",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_category_display()}"
