from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    CRITICAL = "critical", _("严重")


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class AlertStatus(models.TextChoices):
    NEW = "new", _("新告警")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    RESOLVED = "resolved", _("已处置")
    FALSE_POSITIVE = "false_positive", _("误报")


OPEN_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)


# --- The monitoring rules' catalogue: each rule's name, explanation and starting settings ---
# (the functions are in rules.py, by the same codes; the supervisor changes the settings).


@dataclass(frozen=True)
class Default:
    name: str  # lazily translated: the pages show it in the reader's language
    description: str
    severity: str
    threshold: float
    window_minutes: int


DEFAULTS: dict[str, Default] = {
    "volume_spike": Default(
        _("调用量突增"),
        _("某使用方对某产品在窗口内的调用次数达到其过去 24 小时每窗口平均值的“阈值”倍"
        "（且不少于 20 次）。"),
        Severity.HIGH, 5.0, 10,
    ),
    "off_hours": Default(
        _("非工作时间访问"),
        _("某使用方在 0:00–6:00 之间的调用次数在窗口内达到阈值。"),
        Severity.MEDIUM, 10.0, 60,
    ),
    "after_stop": Default(
        _("授权暂停、撤销或到期后仍在访问"),
        _("授权不在有效状态时，针对其产品的调用或其专区查询在窗口内达到阈值。"),
        Severity.HIGH, 1.0, 10,
    ),
    "probing": Default(
        _("专区查询反复被拒（试探）"),
        _("同一授权在窗口内被拒绝的专区查询次数达到阈值。"),
        Severity.HIGH, 10.0, 30,
    ),
    "differencing": Default(
        _("疑似差分攻击"),
        _(
            "同一授权在窗口内对相同表和列的查询次数达到阈值，或沿用相近输出的数值"
            "（与此前输出相差不足 k 人）的次数达到阈值。"
        ),
        Severity.HIGH, 20.0, 60,
    ),
    "near_k": Default(
        _("疑似围绕 k 构造的差分对"),
        _(
            "同一授权在窗口内有分组与此前输出的相近分组（相差不足 k 人）一个显示、一个不显示，"
            "次数达到阈值：相差一人的两次查询在 k 附近会这样，可借此判断某人是否在其中。"
        ),
        Severity.HIGH, 2.0, 1440,
    ),
    "budget_low": Default(
        _("隐私预算将耗尽"),
        _("有效授权剩余的隐私预算 ε 占总量的比例不高于阈值。"),
        Severity.MEDIUM, 0.1, 60,
    ),
    "over_quota": Default(
        _("超出配额"),
        _("某订阅在窗口内因配额用尽被拒的调用次数达到阈值。"),
        Severity.MEDIUM, 1.0, 60,
    ),
    "quality": Default(
        _("新数据版本质量不合格"),
        _("窗口内归集的数据版本质量得分低于阈值（0–100）。"),
        Severity.MEDIUM, 80.0, 60,
    ),
    "tamper_files": Default(
        _("存储文件被篡改"),
        _("重新计算数据版本、衍生数据和报告文件的 SHA-256，与登记（并已上链）的哈希不符或文件缺失。"
        "每个时间窗口至多检查一次。"),
        Severity.CRITICAL, 1.0, 60,
    ),
    "ledger": Default(
        _("区块链账本校验失败"),
        _("由存储的记录重算整棵 Merkle 树并核对节点、签名检查点和外部锚定；发现分歧即告警。"
        "每个时间窗口至多检查一次。"),
        Severity.CRITICAL, 1.0, 60,
    ),
    "new_source": Default(
        _("凭证从新地址使用"),
        _("某凭证在窗口内从过去 30 天未出现过的来源地址调用。"),
        Severity.MEDIUM, 1.0, 10,
    ),
}  # fmt: skip
