from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    """用途类别 — decides pricing: 公益 products are free, 产业 ones charge up to a cap."""

    PUBLIC_WELFARE = "public_welfare", _("公益")
    INDUSTRY = "industry", _("产业")


class OutputForm(models.TextChoices):
    """输出形式 — how results of a field may leave the zone (the zone enforces each)."""

    AGGREGATE = "aggregate", _("聚合统计")
    DP = "dp", _("差分隐私")
    DEIDENTIFIED = "deidentified", _("去标识化记录")
    MODEL = "model", _("模型输出")


# Output forms that never release a record: the only ones important data may use.
AGGREGATE_FORMS = frozenset({OutputForm.AGGREGATE, OutputForm.DP})


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待受理")
    RETURNED = "returned", _("退回补正")
    OPINIONS = "opinions", _("征求提供单位意见")
    ASSESSMENT = "assessment", _("安全事前评估")
    SCORING = "scoring", _("专家评审")
    NOTICE = "notice", _("公示中")
    DECISION = "decision", _("待决定")
    APPROVED = "approved", _("已批准，待签协议")
    ACTIVE = "active", _("已授权")
    REJECTED = "rejected", _("不予授权")
    WITHDRAWN = "withdrawn", _("已撤回")


# The review steps in order, with the working days each may take (the step's deadline).
STEP_DAYS = {
    ApplicationStatus.SUBMITTED: 5,
    ApplicationStatus.OPINIONS: 10,
    ApplicationStatus.ASSESSMENT: 5,
    ApplicationStatus.SCORING: 10,
    ApplicationStatus.DECISION: 5,
    ApplicationStatus.APPROVED: 10,
}
OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.OPINIONS,
    ApplicationStatus.ASSESSMENT,
    ApplicationStatus.SCORING,
    ApplicationStatus.NOTICE,
    ApplicationStatus.DECISION,
)


class Verdict(models.TextChoices):
    AGREE = "agree", _("同意")
    CONDITIONAL = "conditional", _("有条件同意")
    DISAGREE = "disagree", _("不同意")


class QualificationStatus(models.TextChoices):
    DRAFT = "draft", _("未提交")
    SUBMITTED = "submitted", _("待核验")
    VERIFIED = "verified", _("已核验")
    REJECTED = "rejected", _("核验未通过")


class DocumentKind(models.TextChoices):
    LICENCE = "licence", _("营业执照")
    DENGBAO = "dengbao", _("等级保护测评报告")
    DCMM = "dcmm", _("DCMM 评估证书")
    DSMM = "dsmm", _("DSMM 评估证书")
    ISO27001 = "iso27001", _("ISO/IEC 27001 证书")
    CREDIT = "credit", _("信用报告（无失信记录）")
    OTHER = "other", _("其他")


class AuthorizationStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("已暂停")
    REVOKED = "revoked", _("已撤销")
    EXPIRED = "expired", _("已到期")


class CapScope(models.TextChoices):
    RESOURCE = "resource", _("数据资源")
    DOMAIN = "domain", _("领域")


class ExitCause(models.TextChoices):
    """退出原因 — why an authorization goes through the exit workflow."""

    EXPIRED = "expired", _("授权期满")
    REVOKED = "revoked", _("授权被撤销")
    FAILED_EVALUATION = "failed_evaluation", _("绩效评估不合格")
    OPERATOR_LEFT = "operator_left", _("运营单位主动退出")


class ExitStatus(models.TextChoices):
    WOUND_DOWN = "wound_down", _("已清退，待运营单位确认")
    CONFIRMED = "confirmed", _("运营单位已确认，待市数据局签认")
    CLOSED = "closed", _("退出完成")
