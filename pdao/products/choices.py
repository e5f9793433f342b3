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
    CHOICE = "choice", _("枚举（限定可选值）")


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


# How a delivery ended (Delivery.code, the gateway's `code`), in the reader's language. The
# codes are the API's, for machines; a page shows these names. `authorization_<code>` is a
# refusal by the access decision behind the product.
DELIVERY_RESULTS = {
    "ok": _("已应答"),
    "invalid_parameter": _("参数无效"),
    "not_a_report": _("该产品不是数据报告"),
    "report_product": _("数据报告应以下载方式获取"),
    "no_subscription": _("未订阅或订阅已到期"),
    "product_frozen": _("产品已被应急冻结"),
    "product_not_found": _("没有该上架产品"),
    "no_edition": _("尚无已发布的报告"),
    "report_unavailable": _("报告文件不可用"),
    "rate_limited": _("调用过于频繁"),
    "quota_calls": _("本月调用次数已用完"),
    "quota_rows": _("本月输出行数配额不足"),
    "quota_authorization": _("授权的每月调用配额已用完"),
    "disclosure_refused": _("结果未通过输出控制"),
    "authorization_suspended": _("授权已暂停"),
    "authorization_revoked": _("授权已撤销"),
    "authorization_expired": _("授权已到期"),
    "authorization_not_started": _("授权尚未生效"),
}


def delivery_result(code: str):
    """The name of a delivery's result code (an unknown `authorization_*` code reads as the
    authorization not being in force; any other unknown code as it is)."""
    if code in DELIVERY_RESULTS:
        return DELIVERY_RESULTS[code]
    if code.startswith("authorization_"):
        return _("所依托的授权不可用")
    return code
