"""The price mechanism's records: dated limits, bond yields, pricing periods, cost surveys and the
maximum allowed revenue of each operating year. Amounts are whole fen (`*_fen`, BIGINT; see
`pdao.finance.money`); rates are percentages."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pdao.finance import money
from pdao.finance.choices import (
    Adjustment,
    AllowanceStatus,
    BudgetCategory,
    CostCategory,
    Limit,
    RemittanceStatus,
    Standard,
    SurveyStatus,
)


def _paired(prefix: str) -> models.CheckConstraint:
    """`<prefix>_by` and `<prefix>_at` are set together or not at all."""
    return models.CheckConstraint(
        condition=Q(**{f"{prefix}_by__isnull": True, f"{prefix}_at__isnull": True})
        | Q(**{f"{prefix}_by__isnull": False, f"{prefix}_at__isnull": False}),
        name=f"%(app_label)s_%(class)s_{prefix}_pair",
    )


class LimitValue(models.Model):
    """A limit of the price mechanism in force from a day, and the document that set it (a
    province's or the city's own rules). Before the first such value, the national notice's
    applies (`choices.NATIONAL_LIMITS`)."""

    limit = models.CharField(_("参数"), max_length=40, choices=Limit.choices)
    value = models.DecimalField(_("取值"), max_digits=9, decimal_places=4)
    effective_from = models.DateField(_("施行日期"))
    document = models.CharField(_("依据文件"), max_length=100)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("价格机制参数")
        verbose_name_plural = _("价格机制参数")
        ordering = ["limit", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["limit", "effective_from"], name="%(app_label)s_%(class)s_one_a_day"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0), name="%(app_label)s_%(class)s_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_limit_display()} {self.value}（{self.document}）"


class BondYield(models.Model):
    """10年期国债平均收益率 — one year's average yield of 10-year government bonds, with where it
    was read; the profit rate of a cost survey's MAR is capped by the year before the survey."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    percent = models.DecimalField(_("平均收益率（%）"), max_digits=6, decimal_places=4)
    source = models.CharField(_("数据来源"), max_length=200)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("国债收益率")
        verbose_name_plural = _("国债收益率")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0), name="%(app_label)s_%(class)s_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.percent}%"


class PricingPeriod(models.Model):
    """定价周期 — at most three years (a dated limit) for one operator, never overlapping
    another of its periods; its operating years each get a maximum allowed revenue."""

    code = models.CharField(_("周期编号"), max_length=30, unique=True)
    operator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="pricing_periods"
    )
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"))
    standard = models.CharField(_("收费标准"), max_length=20, choices=Standard.choices)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("定价周期")
        verbose_name_plural = _("定价周期")
        ordering = ["operator", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.starts_on}—{self.ends_on}"

    def years(self) -> list[tuple]:
        return money.period_years(self.starts_on, self.ends_on)


class CostSurvey(models.Model):
    """成本调查 — the operator declares its cost items, the bureau's reviewer adjusts each; the
    concluded operating cost (industry share of every item, subsidies deducted) is the base of
    the period's MAR."""

    period = models.ForeignKey(PricingPeriod, on_delete=models.PROTECT, related_name="surveys")
    year = models.PositiveSmallIntegerField(_("调查年度"))
    status = models.CharField(
        _("状态"), max_length=20, choices=SurveyStatus.choices, default=SurveyStatus.DECLARING
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    concluded_at = models.DateTimeField(_("核定时间"), null=True, blank=True)
    cost_fen = models.BigIntegerField(_("核定经营成本（分）"), null=True, blank=True)

    class Meta:
        verbose_name = _("成本调查")
        verbose_name_plural = _("成本调查")
        ordering = ["-year", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "year"], name="%(app_label)s_%(class)s_one_a_year"
            ),
            _paired("submitted"),
            _paired("concluded"),
            models.CheckConstraint(
                condition=Q(concluded_at__isnull=True, cost_fen__isnull=True)
                | Q(concluded_at__isnull=False, cost_fen__isnull=False),
                name="%(app_label)s_%(class)s_cost_when_concluded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period.code} {self.year}"


class CostItem(models.Model):
    """One declared cost, the share of it serving 产业/行业 use, and the reviewer's adjustment."""

    survey = models.ForeignKey(CostSurvey, on_delete=models.CASCADE, related_name="items")
    category = models.CharField(_("成本类别"), max_length=30, choices=CostCategory.choices)
    description = models.CharField(_("说明"), max_length=200)
    declared_fen = models.BigIntegerField(_("申报金额（分）"))
    industry_percent = models.DecimalField(
        _("产业/行业使用占比（%）"), max_digits=7, decimal_places=4, default=100
    )
    adjusted_fen = models.BigIntegerField(_("核定金额（分）"), null=True, blank=True)
    adjustment_note = models.CharField(_("核定说明"), max_length=500, blank=True)
    adjusted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    adjusted_at = models.DateTimeField(_("核定时间"), null=True, blank=True)
    declared_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("申报时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("成本项目")
        verbose_name_plural = _("成本项目")
        ordering = ["survey", "category", "pk"]
        constraints = [
            _paired("adjusted"),
            models.CheckConstraint(
                condition=Q(declared_fen__gte=0)
                & (Q(adjusted_fen__isnull=True) | Q(adjusted_fen__gte=0))
                & Q(industry_percent__gte=0, industry_percent__lte=100),
                name="%(app_label)s_%(class)s_amounts_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.description}"

    @property
    def counted_fen(self) -> int:
        """What the item adds to the operating cost: the adjusted (else declared) amount's
        industry share, negative for a subsidy."""
        amount = self.adjusted_fen if self.adjusted_fen is not None else self.declared_fen
        counted = money.share(amount, self.industry_percent)
        return -counted if self.category == CostCategory.SUBSIDY else counted


class CostEvidence(models.Model):
    """证明材料 of a cost item — an invoice, contract or payroll summary as PDF or image, stored
    by hash under PDAO_DATA_DIR/finance/evidence, downloaded only through a checked view."""

    item = models.ForeignKey(CostItem, on_delete=models.CASCADE, related_name="evidence")
    filename = models.CharField(_("文件名"), max_length=255)
    stored = models.CharField(max_length=100)
    content_type = models.CharField(max_length=50)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    bytes = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("成本证明材料")
        verbose_name_plural = _("成本证明材料")
        ordering = ["item", "uploaded_at"]

    def __str__(self) -> str:
        return self.filename


class Allowance(models.Model):
    """最高准许收入 — the MAR of one operating year of a pricing period: cost (from a concluded
    survey) + profit (cost × a rate within the limit) + taxes − the carry-over of an earlier
    year's excess; proposed by the bureau, approved with the approving document's number."""

    period = models.ForeignKey(PricingPeriod, on_delete=models.PROTECT, related_name="allowances")
    year_index = models.PositiveSmallIntegerField(_("运营年度"))
    starts_on = models.DateField(_("年度起始"))
    ends_on = models.DateField(_("年度截止"))
    survey = models.ForeignKey(CostSurvey, on_delete=models.PROTECT, related_name="allowances")
    bond_yield = models.ForeignKey(BondYield, on_delete=models.PROTECT, related_name="+")
    markup = models.DecimalField(_("利润率加点（百分点）"), max_digits=9, decimal_places=4)
    markup_document = models.CharField(_("加点依据"), max_length=100)
    profit_rate = models.DecimalField(_("准许利润率（%）"), max_digits=7, decimal_places=4)
    cost_fen = models.BigIntegerField(_("经营成本（分）"))
    profit_fen = models.BigIntegerField(_("准许利润（分）"))
    tax_fen = models.BigIntegerField(_("税金（分）"))
    deduction_fen = models.BigIntegerField(_("上期超收扣减（分）"), default=0)
    total_fen = models.BigIntegerField(_("最高准许收入（分）"))
    status = models.CharField(
        _("状态"), max_length=20, choices=AllowanceStatus.choices, default=AllowanceStatus.PROPOSED
    )
    proposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    approval_document = models.CharField(_("批复文号"), max_length=100, blank=True)
    approved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(_("批复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("最高准许收入")
        verbose_name_plural = _("最高准许收入")
        ordering = ["period", "year_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "year_index"], name="%(app_label)s_%(class)s_one_a_year"
            ),
            _paired("approved"),
            models.CheckConstraint(
                condition=Q(approved_at__isnull=True) | ~Q(approval_document=""),
                name="%(app_label)s_%(class)s_approved_with_document",
            ),
            models.CheckConstraint(
                condition=Q(
                    total_fen=F("cost_fen") + F("profit_fen") + F("tax_fen") - F("deduction_fen")
                ),
                name="%(app_label)s_%(class)s_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period.code} 第{self.year_index}年度"

    def computed(self) -> money.Allowance:
        """The MAR recomputed from this row's inputs (finance_verify compares)."""
        return money.allowance(self.cost_fen, self.profit_rate, self.tax_fen, self.deduction_fen)


class RevenueLine(models.Model):
    """收入明细 — one subscription's charged calls in one month at one unit price, or its
    monthly fee: computed from the delivery records (`pdao.finance.revenue`), never typed in.
    The operator's revenue is the sum of its lines (单独核算)."""

    class Source(models.TextChoices):
        CALLS = "calls", _("调用计费")
        MONTHLY_FEE = "monthly_fee", _("月费")

    month = models.CharField(_("月份"), max_length=7)  # YYYY-MM, Asia/Shanghai
    operator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="revenue_lines"
    )
    consumer = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="revenue_lines"
    )
    subscription = models.ForeignKey(
        "products.Subscription", on_delete=models.PROTECT, related_name="revenue_lines"
    )
    purpose = models.CharField(_("用途类别"), max_length=20)  # the product's 公益/产业
    source = models.CharField(_("计费来源"), max_length=20, choices=Source.choices)
    charging = models.CharField(_("计费方式"), max_length=20)
    unit_price = models.DecimalField(_("单价（元）"), max_digits=12, decimal_places=4)
    calls = models.PositiveIntegerField(_("调用次数"), default=0)
    quantity = models.DecimalField(_("计费数量"), max_digits=18, decimal_places=3)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("收入明细")
        verbose_name_plural = _("收入明细")
        ordering = ["month", "operator", "product", "subscription", "unit_price"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "subscription", "source", "unit_price"],
                name="%(app_label)s_%(class)s_one_per_price",
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0), name="%(app_label)s_%(class)s_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["operator", "month"])]

    def __str__(self) -> str:
        return f"{self.month} {self.subscription_id} {self.unit_price}"


class RevenueMonth(models.Model):
    """A month whose revenue lines were computed: when, how many and their total, so a line
    removed from the database is missed by `finance_verify` like one altered."""

    month = models.CharField(_("月份"), max_length=7, unique=True)
    lines = models.PositiveIntegerField(_("明细条数"))
    total_fen = models.BigIntegerField(_("收入合计（分）"))
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("月度收入")
        verbose_name_plural = _("月度收入")
        ordering = ["-month"]

    def __str__(self) -> str:
        return self.month


class YearEnd(models.Model):
    """年度清算 — an operating year closed against its MAR: the actual revenue (the operator's
    revenue lines of the year's months), the deviation, what it asks for under the threshold in
    force (the operator adjusts its prices, or the bureau its caps), and the revenue above the
    MAR carried into the following years' MAR in equal parts."""

    allowance = models.OneToOneField(Allowance, on_delete=models.PROTECT, related_name="year_end")
    actual_fen = models.BigIntegerField(_("实际收入（分）"))
    deviation = models.DecimalField(_("偏差率"), max_digits=12, decimal_places=6)
    threshold = models.DecimalField(_("偏差阈值（%）"), max_digits=9, decimal_places=4)
    threshold_document = models.CharField(_("阈值依据"), max_length=100)
    adjustment = models.CharField(_("调整要求"), max_length=20, choices=Adjustment.choices)
    carry_years = models.PositiveSmallIntegerField(_("超收分摊年数"), default=1)
    carried_fen = models.BigIntegerField(_("超收结转（分）"), default=0)
    closed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("清算时间"), auto_now_add=True)
    respond_by = models.DateField(_("调整期限"), null=True, blank=True)
    response = models.CharField(_("调整情况"), max_length=500, blank=True)
    responded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    responded_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("年度清算")
        verbose_name_plural = _("年度清算")
        ordering = ["-closed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(carried_fen__gte=0, carry_years__gte=1),
                name="%(app_label)s_%(class)s_carry_in_range",
            ),
            _paired("responded"),
            models.CheckConstraint(
                condition=Q(adjustment=Adjustment.NONE, respond_by__isnull=True)
                | (~Q(adjustment=Adjustment.NONE) & Q(respond_by__isnull=False)),
                name="%(app_label)s_%(class)s_deadline_when_asked",
            ),
        ]

    def __str__(self) -> str:
        return str(self.allowance)

    def parts(self) -> list[int]:
        """The carry-over, year by year after this one."""
        return money.carry_over(self.actual_fen, self.allowance.total_fen, self.carry_years)


class PayeeAccount(models.Model):
    """The finance bureau's account that remittances are paid into, the budget classification
    they are booked under and the days allowed to pay, in force from a day; a notice copies the
    one in force when it is issued."""

    payee = models.CharField(_("收款单位"), max_length=100)
    bank = models.CharField(_("开户银行"), max_length=100)
    account_no = models.CharField(_("账号"), max_length=40)
    budget_code = models.CharField(_("预算科目编码"), max_length=20)
    budget_name = models.CharField(_("预算科目名称"), max_length=100)
    days_to_pay = models.PositiveSmallIntegerField(_("缴款期限（天）"), default=30)
    effective_from = models.DateField(_("启用日期"), unique=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("收缴账户")
        verbose_name_plural = _("收缴账户")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.payee} {self.bank} {self.account_no}"


class Remittance(models.Model):
    """上缴部分收益 — one authorization's share of one quarter's revenue: the revenue lines of
    its products in the quarter, times the agreement's revenue share, rounded once; notified
    with the payee account in force, paid by the operator (the exact amount), confirmed once by
    the finance bureau."""

    code = models.CharField(_("通知编号"), max_length=30, unique=True)
    authorization = models.ForeignKey(
        "authorization.Authorization", on_delete=models.PROTECT, related_name="remittances"
    )
    operator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="remittances"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    revenue_fen = models.BigIntegerField(_("季度收入（分）"))
    share_percent = models.DecimalField(_("上缴比例（%）"), max_digits=7, decimal_places=4)
    amount_fen = models.BigIntegerField(_("应缴金额（分）"))
    status = models.CharField(
        _("状态"), max_length=20, choices=RemittanceStatus.choices,
        default=RemittanceStatus.NOTIFIED,
    )  # fmt: skip
    due_on = models.DateField(_("缴款期限"))
    payee = models.CharField(_("收款单位"), max_length=100)
    bank = models.CharField(_("开户银行"), max_length=100)
    account_no = models.CharField(_("账号"), max_length=40)
    budget_code = models.CharField(_("预算科目编码"), max_length=20)
    budget_name = models.CharField(_("预算科目名称"), max_length=100)
    notice_sha256 = models.CharField(_("通知书 SHA-256"), max_length=64)
    issued_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("开具时间"), auto_now_add=True)
    paid_on = models.DateField(_("缴款日期"), null=True, blank=True)
    paid_fen = models.BigIntegerField(_("缴款金额（分）"), null=True, blank=True)
    payment_reference = models.CharField(_("缴款凭证号"), max_length=60, blank=True)
    paid_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    paid_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    chased = models.PositiveSmallIntegerField(_("催缴次数"), default=0)
    last_chased_on = models.DateField(_("最近催缴"), null=True, blank=True)

    class Meta:
        verbose_name = _("收益上缴")
        verbose_name_plural = _("收益上缴")
        ordering = ["-year", "-quarter", "operator"]
        constraints = [
            models.UniqueConstraint(
                fields=["authorization", "year", "quarter"],
                name="%(app_label)s_%(class)s_one_a_quarter",
            ),
            _paired("paid"),
            _paired("confirmed"),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4)
                & Q(revenue_fen__gte=0, amount_fen__gte=0),
                name="%(app_label)s_%(class)s_in_range",
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(paid_fen=F("amount_fen")),
                name="%(app_label)s_%(class)s_paid_in_full",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(paid_at__isnull=False),
                name="%(app_label)s_%(class)s_confirmed_after_paid",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    def overdue(self, today) -> bool:
        return self.status == RemittanceStatus.NOTIFIED and self.due_on < today


class BudgetAllocation(models.Model):
    """预算安排 — remitted revenue of a year budgeted back into the programme; a year's
    allocations never exceed what the finance bureau confirmed receiving for it."""

    year = models.PositiveSmallIntegerField(_("收入年度"))
    category = models.CharField(_("安排方向"), max_length=20, choices=BudgetCategory.choices)
    amount_fen = models.BigIntegerField(_("安排金额（分）"))
    document = models.CharField(_("预算文件"), max_length=100)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预算安排")
        verbose_name_plural = _("预算安排")
        ordering = ["-year", "category", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="%(app_label)s_%(class)s_positive"
            ),
            models.CheckConstraint(
                condition=~Q(category=BudgetCategory.OTHER) | ~Q(note=""),
                name="%(app_label)s_%(class)s_other_explained",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_category_display()}"


class AnnualReport(models.Model):
    """The yearly report due by 31 March (the national notice §五): the previous year's
    operations, costs, revenue and profit, sales per product, deviation from the MAR and price
    adjustments, generated from the records as Word and Excel; the bureau reviews and files it,
    and the files' SHA-256 go on the ledger. A draft can be generated again; a filed one is
    fixed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待审核报送")
        FILED = "filed", _("已报送")

    year = models.PositiveSmallIntegerField(_("报告年度"), unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    docx_sha256 = models.CharField(_("Word 文件 SHA-256"), max_length=64)
    xlsx_sha256 = models.CharField(_("Excel 文件 SHA-256"), max_length=64)
    generated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(_("生成时间"))
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    filed_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("年度价格与收益报告")
        verbose_name_plural = _("年度价格与收益报告")
        ordering = ["-year"]
        constraints = [_paired("filed")]

    def __str__(self) -> str:
        return f"{self.year}"


class Declaration(models.Model):
    """An operator's own billing of one month (its declared revenue), uploaded to be reconciled
    line by line with the revenue ledger; a new upload replaces the month's earlier one."""

    month = models.CharField(_("月份"), max_length=7)
    operator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="revenue_declarations"
    )
    filename = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    total_fen = models.BigIntegerField(_("申报收入合计（分）"))
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now=True)

    class Meta:
        verbose_name = _("申报收入")
        verbose_name_plural = _("申报收入")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "operator"], name="%(app_label)s_%(class)s_one_a_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.operator_id}"


class DeclaredLine(models.Model):
    """One row of a declaration: a product, a consumer (by credit code) and an amount."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField(_("行号"))
    product_code = models.CharField(_("产品编号"), max_length=30)
    consumer_credit_code = models.CharField(_("使用方统一社会信用代码"), max_length=18)
    amount_fen = models.BigIntegerField(_("金额（分）"))

    class Meta:
        ordering = ["declaration", "row"]

    def __str__(self) -> str:
        return f"{self.product_code} {self.consumer_credit_code}"
