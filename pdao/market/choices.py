from django.db import models
from django.utils.translation import gettext_lazy as _


class ListingStatus(models.TextChoices):
    """挂牌 on a data exchange: what the exchange did, recorded by the operator."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交交易场所")
    REVIEWING = "reviewing", _("交易场所审核中")
    NOTICE = "notice", _("挂牌公示中")
    LISTED = "listed", _("已挂牌")
    SUSPENDED = "suspended", _("暂停交易")
    DELISTED = "delisted", _("已摘牌")


class RegistrationKind(models.TextChoices):
    INITIAL = "initial", _("首次登记")
    RENEWAL = "renewal", _("续期登记")


class RegistrationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("不予登记")


class Delivery(models.TextChoices):
    """交付方式 of a product, as the 说明书 states it."""

    API = "api", _("接口调用")
    FILE = "file", _("文件交付")
    REPORT = "report", _("报告交付")


class Venue(models.TextChoices):
    OFF = "off", _("场外交易")
    ON = "on", _("场内交易")


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", _("待签署合同")
    SIGNED = "signed", _("待付款")
    PAYMENT_RECORDED = "payment_recorded", _("待确认付款")
    DELIVERED = "delivered", _("已交付待验收")
    SETTLED = "settled", _("已验收结算")
    DISPUTED = "disputed", _("争议处理中")
    REFUNDED = "refunded", _("已退款")
    CANCELLED = "cancelled", _("已取消")


class SurveyStatus(models.TextChoices):
    OPEN = "open", _("填报中")
    CLOSED = "closed", _("已结束")


class RecipientType(models.TextChoices):
    """Who receives a department's data service; government bodies and fiscally funded
    public-service organisations are outside the survey (that is 共享, not 授权运营)."""

    ENTERPRISE = "enterprise", _("企业")
    INSTITUTION = "institution", _("非财政拨款事业单位")
    SOCIAL = "social", _("社会组织")
    INDIVIDUAL = "individual", _("个体工商户")
    OTHER = "other", _("其他")


class ServiceMethod(models.TextChoices):
    API = "api", _("接口")
    FILE = "file", _("文件")
    VERIFY = "verify", _("核验")


class Disposition(models.TextChoices):
    PENDING = "pending", _("待研究")
    INCLUDE = "include", _("纳入授权运营")
    SHARE = "share", _("转为共享")
    STOP = "stop", _("停止提供")


class FirmCategory(models.TextChoices):
    """第三方专业服务机构 categories, and 数据商 (section 八.2 of the plan)."""

    MERCHANT = "merchant", _("数据商")
    COMPLIANCE = "compliance", _("数据合规评估")
    QUALITY = "quality", _("数据质量评估")
    ASSET = "asset", _("数据资产评估")
    SECURITY = "security", _("安全评估")
    DELIVERY = "delivery", _("交付服务")
    CONSULTING = "consulting", _("咨询")


class FirmStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待核验")
    VERIFIED = "verified", _("已核验")
    REJECTED = "rejected", _("未通过")
    REVOKED = "revoked", _("已撤销")
