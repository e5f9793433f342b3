from django.db import models
from django.utils.translation import gettext_lazy as _


class Domain(models.TextChoices):
    """领域 — the nine domains of the plan, where typical scenarios are built."""

    INDUSTRY = "industry", _("工业制造")
    AGRICULTURE = "agriculture", _("农业生产")
    COMMERCE = "commerce", _("商贸流通")
    TRANSPORT = "transport", _("交通运输")
    FINANCE = "finance", _("金融服务")
    SCIENCE = "science", _("科技创新")
    TOURISM = "tourism", _("文化旅游")
    HEALTH = "health", _("医疗健康")
    GOVERNANCE = "governance", _("城市治理")


class Sharing(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NONE = "none", _("不予共享")


class Opening(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    NONE = "none", _("不予开放")


class Frequency(models.TextChoices):
    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")
    IRREGULAR = "irregular", _("不定期")


class Grade(models.TextChoices):
    """分级 (GB/T 43697-2024): core data is never authorizable."""

    CORE = "core", _("核心数据")
    IMPORTANT = "important", _("重要数据")
    GENERAL_4 = "general_4", _("一般数据（4级）")
    GENERAL_3 = "general_3", _("一般数据（3级）")
    GENERAL_2 = "general_2", _("一般数据（2级）")
    GENERAL_1 = "general_1", _("一般数据（1级）")


# From least to most demanding. Core data is never authorizable, so it has no rank: it is
# refused before any rule that compares grades could apply.
GRADE_ORDER = (Grade.GENERAL_1, Grade.GENERAL_2, Grade.GENERAL_3, Grade.GENERAL_4, Grade.IMPORTANT)

# k — the fewest privacy units behind any aggregate the zone releases — by grade; every grade
# not listed here is held to DEFAULT_K.
DEFAULT_K = 10
K_BY_GRADE = {Grade.IMPORTANT: 20, Grade.GENERAL_4: 15}


def highest_grade(grades) -> str | None:
    """The most demanding of `grades` by GRADE_ORDER (就高从严), or None when none is ranked."""
    present = set(grades)
    ranked = [g for g in GRADE_ORDER if g in present]
    return ranked[-1] if ranked else None


def min_k(grades) -> int:
    """The k an aggregate over data of these grades is held to: the strictest (largest) of
    theirs, and never less than DEFAULT_K.

    >>> min_k([]), min_k(["general_1", "general_4"]), min_k(["important", "core"])
    (10, 15, 20)
    """
    return max([DEFAULT_K, *(K_BY_GRADE.get(g, DEFAULT_K) for g in grades)])


class FieldType(models.TextChoices):
    STRING = "string", _("文本")
    INTEGER = "integer", _("整数")
    DECIMAL = "decimal", _("小数")
    DATE = "date", _("日期")
    DATETIME = "datetime", _("日期时间")
    BOOLEAN = "boolean", _("布尔")


class PIKind(models.TextChoices):
    """个人信息类型 — what a field holds, once the provider has tagged it."""

    NONE = "none", _("非个人信息")
    RESIDENT_ID = "resident_id", _("身份证号")
    MOBILE = "mobile", _("手机号")
    PERSON_NAME = "person_name", _("姓名")
    ADDRESS = "address", _("地址")
    BANK_CARD = "bank_card", _("银行卡号")
    LICENCE_PLATE = "licence_plate", _("车牌号")
    CREDIT_CODE = "credit_code", _("统一社会信用代码")
    OTHER = "other", _("其他个人信息")


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("公开")
    INTERNAL = "internal", _("内部")
    SENSITIVE = "sensitive", _("敏感")
    SENSITIVE_PI = "sensitive_pi", _("敏感个人信息")


class VersionStatus(models.TextChoices):
    READY = "ready", _("待启用")
    ACTIVE = "active", _("当前版本")
    SUPERSEDED = "superseded", _("已被替代")


class UpdateMode(models.TextChoices):
    REPLACE = "replace", _("全量替换")
    APPEND = "append", _("增量追加")


class GradingStatus(models.TextChoices):
    PENDING = "pending", _("待审定")
    APPROVED = "approved", _("已审定")
    RETURNED = "returned", _("退回修改")


class HarmObject(models.TextChoices):
    """The six objects of harm of GB/T 43697-2024 a leak could hit."""

    NATIONAL_SECURITY = "national_security", _("国家安全")
    ECONOMY = "economy", _("经济运行")
    SOCIAL_ORDER = "social_order", _("社会秩序")
    PUBLIC_INTEREST = "public_interest", _("公共利益")
    ORGANISATIONS = "organisations", _("组织权益")
    INDIVIDUALS = "individuals", _("个人权益")
