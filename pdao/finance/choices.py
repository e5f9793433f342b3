"""The finance pillar's fixed vocabularies: the dated limits of the price mechanism, pricing
standards, the national cost categories, and the states of a survey and of an allowance."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# The document that set the national rules; a province or city that issues its own enters its
# limits as new dated parameters naming its document.
NATIONAL_NOTICE = "发改价格〔2025〕65号"


class Limit(models.TextChoices):
    """A rate or limit of the price mechanism, in force from a date, set by a document."""

    PROFIT_MARKUP = "profit_markup", _("准许利润率加点（百分点）")
    DEVIATION_THRESHOLD = "deviation_threshold", _("收入偏差阈值（%）")
    LONGEST_PERIOD = "longest_period_years", _("定价周期最长年限（年）")


# The national values, in force from the notice's date until a later parameter replaces them.
NATIONAL_LIMITS = {
    Limit.PROFIT_MARKUP: Decimal("6"),
    Limit.DEVIATION_THRESHOLD: Decimal("10"),
    Limit.LONGEST_PERIOD: Decimal("3"),
}


class Standard(models.TextChoices):
    """试行 before a full year of operation, 正式 after (the notice)."""

    TRIAL = "trial", _("试行标准")
    FORMAL = "formal", _("正式标准")


class CostCategory(models.TextChoices):
    """成本调查 categories of the national notice; subsidies are deducted."""

    PLATFORM = "platform", _("平台建设与运维成本")
    DATA_HANDLING = "data_handling", _("数据传输、汇聚、存储与治理成本")
    STAFF = "staff", _("人员成本")
    DATA_ACQUISITION = "data_acquisition", _("公共数据获取成本")
    PERIOD_EXPENSES = "period_expenses", _("期间费用")
    SUBSIDY = "subsidy", _("政府补助（扣减）")


class SurveyStatus(models.TextChoices):
    DECLARING = "declaring", _("运营单位填报中")
    REVIEWING = "reviewing", _("审核中")
    CONCLUDED = "concluded", _("已核定")


class Adjustment(models.TextChoices):
    """What a year's deviation from its MAR asks for (values of `money.Adjustment`)."""

    NONE = "none", _("无需调整")
    OPERATOR_PRICES = "operator_prices", _("运营单位调整实际收费标准")
    BUREAU_CAPS = "bureau_caps", _("数据局调整上限收费标准")


class AllowanceStatus(models.TextChoices):
    PROPOSED = "proposed", _("待批复")
    APPROVED = "approved", _("已批复")


class RemittanceStatus(models.TextChoices):
    """A quarter's remittance (上缴部分收益): notified, paid by the operator, confirmed by the
    finance bureau. Overdue is not a state: a notified remittance past its due day."""

    NOTIFIED = "notified", _("待缴款")
    PAID = "paid", _("已缴款待确认")
    CONFIRMED = "confirmed", _("财政已确认")


class BudgetCategory(models.TextChoices):
    """预算安排 — where the finance bureau budgets remitted revenue back (the plan, section 七)."""

    BASE = "base", _("授权运营基础支撑")
    SMART_CITY = "smart_city", _("智慧城市建设")
    OTHER = "other", _("其他")
