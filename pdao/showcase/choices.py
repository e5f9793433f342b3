from django.db import models
from django.utils.translation import gettext_lazy as _


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", _("已推荐，专家评审中")
    CONFIRMED = "confirmed", _("市级典型场景")
    DECLINED = "declined", _("未入选")
    WITHDRAWN = "withdrawn", _("已撤回")


# 典型场景评选标准: the five published criteria; the taskforce sets their weights.
CRITERIA = {
    "effect": _("应用成效"),
    "innovation": _("创新性"),
    "leadership": _("引领效应"),
    "security": _("数据安全"),
    "replicability": _("可推广性"),
}
DEFAULT_WEIGHTS = {
    "effect": 30,
    "innovation": 20,
    "leadership": 20,
    "security": 15,
    "replicability": 15,
}


class DisclosureStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已公开")


class Result(models.TextChoices):
    """绩效评估结果."""

    EXCELLENT = "excellent", _("优秀")
    PASS = "pass", _("合格")
    BASIC = "basic", _("基本合格")
    FAIL = "fail", _("不合格")


# The qualitative criteria experts score (each 0–100), and the result thresholds on the total.
QUALITATIVE = {
    "compliance": _("合规经营"),
    "security": _("安全保障"),
    "service": _("服务质量"),
    "impact": _("应用成效"),
}
THRESHOLDS = ((Result.EXCELLENT, 90), (Result.PASS, 75), (Result.BASIC, 60), (Result.FAIL, 0))


class EvaluationStatus(models.TextChoices):
    SCORING = "scoring", _("专家评分中")
    CONCLUDED = "concluded", _("已出结果")


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    SUBMITTED = "submitted", _("已报送整改情况")
    ACCEPTED = "accepted", _("整改通过")


class Period(models.TextChoices):
    MONTH = "month", _("月报")
    QUARTER = "quarter", _("季报")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("待审核")
    FILED = "filed", _("已审核归档")
