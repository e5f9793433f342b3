"""System-written text stored as a code with parameters, read in the reader's language.

A sentence the platform writes about an event (a pre-check finding, an alert's title, the label
of a piece of evidence) is stored as `{"code": ..., "params": {...}}` and rendered when it is
shown, through the template registered here under that code — so a page in English reads
English whatever the language of the request that wrote the record. Parameters that are user
data (names, numbers, record codes) are inserted as they are; a parameter that is itself a
stored code (a grade, a domain) is given as `choice(kind, value)` and shown by its label; a
list is joined with the reader's separator; a nested message is rendered in turn.

Records written before this existed keep their text: `render_stored` falls back to it when the
record has no code (or one no longer registered).

    >>> from django.utils import translation
    >>> with translation.override("zh-hans"):
    ...     str(Message("precheck.no_profile"))
    '尚未建立资质档案'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Stored codes given as parameters, shown by the label of their TextChoices.
CHOICES = {
    "grade": "pdao.catalogue.choices.Grade",
    "domain": "pdao.catalogue.choices.Domain",
}

MESSAGES = {
    # --- Authorization pre-check (pdao.authorization.precheck) ---------------------------------
    "precheck.pass": _("通过"),
    "precheck.scope_empty": _("数据需求清单为空，或有资源未选择任何字段"),
    "precheck.core": _("「%(r)s」为核心数据，不予授权"),
    "precheck.not_reviewed": _("「%(r)s」的分级尚未经市数据局审定"),
    "precheck.important_outputs": _("「%(r)s」为重要数据，只能申请聚合统计或差分隐私输出"),
    "precheck.pi_no_reason": _("「%(r)s」的敏感个人信息字段「%(f)s」未说明使用理由"),
    "precheck.pi_model": _(
        "「%(r)s」含敏感个人信息字段「%(f)s」，输出须经聚合、差分隐私或去标识化处理，不能申请模型输出"
    ),
    "precheck.not_shared": _("「%(r)s」的共享属性为不予共享"),
    "precheck.open": _("「%(r)s」无条件开放，可从开放目录直接获取，请说明授权必要性"),
    "precheck.resource_cap": _("「%(r)s」的有效授权已达上限 %(n)d 个"),
    "precheck.domain_cap": _("「%(d)s」领域的有效授权已达上限 %(n)d 个"),
    "precheck.no_version": _("「%(r)s」尚无已启用的数据版本"),
    "precheck.no_profile": _("尚未建立资质档案"),
    "precheck.insufficient": _("申请数据最高为%(g)s，要求%(m)s"),
    "qualification.unverified": _("资质尚未经市数据局核验"),
    "qualification.dishonesty": _("未确认近三年无失信记录"),
    "qualification.dengbao_expired": _("等保测评已过期"),
    "qualification.iso27001_expired": _("ISO 27001 证书已过期"),
    "qualification.need_dengbao": _("等保 %(n)d 级"),
    "qualification.need_dsmm": _("DSMM %(n)d 级"),
    "qualification.need_dcmm": _("DCMM %(n)d 级"),
    "qualification.need_iso27001": _("ISO/IEC 27001 认证"),
    # --- Monitoring alerts (pdao.supervision.rules) ----------------------------------------------
    "alert.volume_spike": _(
        "产品 %(product)s 在 %(minutes)d 分钟内被调用 %(n)d 次，为基线 %(baseline).1f 的 "
        "%(ratio).1f 倍"
    ),
    "alert.off_hours": _("使用方 #%(consumer)s 在 0:00–6:00 调用 %(n)d 次"),
    "alert.after_stop_calls": _(
        "授权不在有效状态后，使用方 #%(consumer)s 仍调用产品 %(product)s %(n)d 次"
    ),
    "alert.after_stop_queries": _("授权 %(a)s 不在有效状态后仍有 %(n)d 次专区查询"),
    "alert.probing": _("授权 %(a)s 在 %(minutes)d 分钟内有 %(n)d 次专区查询被拒绝"),
    "alert.differencing_same": _(
        "授权 %(a)s 在 %(minutes)d 分钟内对 %(tables)s 的相同列查询 %(n)d 次"
    ),
    "alert.differencing_near": _(
        "授权 %(a)s 有 %(n)d 个输出数值与此前输出相差不足 k 人，沿用了此前的结果（疑似构造差分对）"
    ),
    "alert.near_k": _(
        "授权 %(a)s 在 %(hours)d 小时内有 %(n)d 个分组与此前相差不足 k 人的分组一个显示、一个不显示"
        "（疑似围绕 k 构造差分对，判断某人是否在其中）"
    ),
    "alert.budget_low": _("授权 %(a)s 的隐私预算仅剩 ε=%(left).2f（总量的 %(percent)d%%）"),
    "alert.over_quota": _("订阅 %(s)s 在 %(minutes)d 分钟内因配额用尽被拒 %(n)d 次"),
    "alert.new_source": _("凭证 #%(credential)s 首次从地址 %(address)s 调用（%(n)d 次）"),
    "alert.quality": _("%(r)s 第 %(v)s 版质量得分 %(score).0f，低于 %(threshold).0f"),
    "alert.tamper_version": _("%(r)s 第 %(v)s 版的存储文件与登记哈希不符或缺失"),
    "alert.tamper_derived": _("衍生数据「%(name)s」（%(a)s）的文件与登记哈希不符或缺失"),
    "alert.tamper_report": _("报告 %(product)s 第 %(n)s 期的 %(format)s 文件与登记哈希不符或缺失"),
    "alert.ledger": _("账本校验失败：%(problem)s"),
    # An alert's evidence: links to the records behind it, never data.
    "evidence.delivery": _("交付记录 %(trace)s"),
    "evidence.query": _("专区查询 #%(pk)s"),
    "evidence.authorization": _("授权 %(a)s"),
    "evidence.version": _("%(r)s 第 %(v)s 版"),
    "evidence.ledger": _("账本与检查点"),
}


def choice(kind: str, value: str) -> dict:
    """A parameter that is a stored code of `kind` (a key of CHOICES), shown by its label."""
    return {"choice": kind, "value": value}


@dataclass(frozen=True)
class Message:
    """One system-written sentence: a code of MESSAGES and its parameters (JSON values)."""

    code: str
    params: dict = field(default_factory=dict)

    def __init__(self, code: str, params: dict | None = None, /, **kwargs):
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "params", {**(params or {}), **kwargs})

    def as_dict(self) -> dict:
        return {"code": self.code, "params": self.params}

    def __str__(self) -> str:
        return render(self.code, self.params)


def render(code: str, params: dict | None = None, fallback: str = "") -> str:
    """The sentence of `code` in the active language, or `fallback` (else the code) when the
    code is not registered or its parameters do not fit the template."""
    template = MESSAGES.get(code)
    if template is None:
        return fallback or code
    values = {name: _value(value) for name, value in (params or {}).items()}
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return fallback or code


def render_stored(stored: dict, fallback_key: str = "message") -> str:
    """A stored `{"code", "params"}` rendered; a record from before codes keeps its text under
    `fallback_key`."""
    fallback = str(stored.get(fallback_key) or "")
    code = stored.get("code")
    if not code:
        return fallback
    return render(code, stored.get("params"), fallback)


def _value(value):
    if isinstance(value, dict) and "choice" in value:
        return _label(value["choice"], value.get("value"))
    if isinstance(value, dict) and "code" in value:
        return render(value["code"], value.get("params"))
    if isinstance(value, list | tuple):
        return gettext("、").join(str(_value(v)) for v in value)
    return value


def _label(kind: str, value) -> str:
    try:
        return str(import_string(CHOICES[kind])(value).label)
    except (KeyError, ImportError, ValueError):
        return str(value)
