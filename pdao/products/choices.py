from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    """产品类型 — an API over a parameterised zone query, a report, or a model's output."""

    API = "api", _("数据接口")
    REPORT = "report", _("数据报告")
    MODEL = "model", _("模型输出")


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEW = "review", _("合规审查中")
    FILED = "filed", _("已备案")
    LISTED = "listed", _("已上架")
    DELISTED = "delisted", _("已下架")
    REJECTED = "rejected", _("审查未通过")


class ParamType(models.TextChoices):
    INTEGER = "integer", _("整数")
    NUMBER = "number", _("数值")
    STRING = "string", _("文本")
    DATE = "date", _("日期")
    CHOICE = "choice", _("枚举")


class Charging(models.TextChoices):
    """计费方式 (2025 price mechanism): free for 公益; per call, per month or by volume for 产业."""

    FREE = "free", _("免费")
    PER_CALL = "per_call", _("按次")
    MONTHLY = "monthly", _("按月")
    VOLUME = "volume", _("按量（行）")


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    CANCELLED = "cancelled", _("已退订")


class Check(models.TextChoices):
    """合规审查清单 — the items a product's compliance review must pass."""

    SOURCE = "source", _("数据来源合法（授权有效）")
    SCOPE = "scope", _("使用范围在协议之内")
    FORM = "form", _("输出形式符合授权")
    DEIDENTIFICATION = "deidentification", _("去标识化与输出控制证明")
    PRICING = "pricing", _("定价类别与上限")
    SECURITY = "security", _("安全测试结果")


class SignOff(models.TextChoices):
    REVIEWER = "reviewer", _("评审专家")
    SUPERVISOR = "supervisor", _("安全监管")
