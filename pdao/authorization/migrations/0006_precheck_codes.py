# Pre-check findings stored as text (in the language of whoever submitted) become message codes
# with parameters (pdao.core.messages). The templates below are a frozen copy of the texts the
# pre-check wrote, in Chinese (with the half-width punctuation of early releases too) and in
# English; a finding none of them matches keeps its text as the fallback.

import re

from django.db import migrations
from django.utils import translation

# code → (Chinese, English) as the pre-check wrote them before codes.
WRITTEN = {
    "precheck.pass": ("通过", "Pass"),
    "precheck.scope_empty": (
        "数据需求清单为空，或有资源未选择任何字段",
        "The demand list is empty, or a resource has no fields chosen",
    ),
    "precheck.core": (
        "「%(r)s」为核心数据，不予授权",
        "“%(r)s” is core data and cannot be authorized",
    ),
    "precheck.not_reviewed": (
        "「%(r)s」的分级尚未经市数据局审定",
        "The grade of “%(r)s” has not been approved by the data bureau",
    ),
    "precheck.important_outputs": (
        "「%(r)s」为重要数据，只能申请聚合统计或差分隐私输出",
        "“%(r)s” is important data: only aggregate or differentially private outputs",
    ),
    "precheck.pi_no_reason": (
        "「%(r)s」的敏感个人信息字段「%(f)s」未说明使用理由",
        "No justification given for the sensitive personal information field “%(f)s” of “%(r)s”",
    ),
    "precheck.pi_model": (
        "「%(r)s」含敏感个人信息字段「%(f)s」，输出须经聚合、差分隐私或去标识化处理，不能申请模型输出",
        "“%(r)s” has the sensitive personal information field “%(f)s”: outputs must be aggregated,"
        " differentially private or de-identified, not a model",
    ),
    "precheck.not_shared": ("「%(r)s」的共享属性为不予共享", "“%(r)s” is marked not to be shared"),
    "precheck.open": (
        "「%(r)s」无条件开放，可从开放目录直接获取，请说明授权必要性",
        "“%(r)s” is openly available without conditions; explain why an authorization is needed",
    ),
    "precheck.resource_cap": (
        "「%(r)s」的有效授权已达上限 %(n)d 个",
        "“%(r)s” already has its maximum of %(n)d live authorizations",
    ),
    "precheck.domain_cap": (
        "「%(d)s」领域的有效授权已达上限 %(n)d 个",
        "The domain “%(d)s” already has its maximum of %(n)d live authorizations",
    ),
    "precheck.no_version": ("「%(r)s」尚无已启用的数据版本", "“%(r)s” has no active version yet"),
    "precheck.no_profile": ("尚未建立资质档案", "No qualification profile yet"),
    "precheck.insufficient": (
        "申请数据最高为%(g)s，要求%(m)s",
        "The highest grade requested is %(g)s, which requires %(m)s",
    ),
    "qualification.unverified": (
        "资质尚未经市数据局核验",
        "Qualifications not yet verified by the data bureau",
    ),
    "qualification.dishonesty": ("未确认近三年无失信记录", "No-dishonesty statement not given"),
    "qualification.dengbao_expired": ("等保测评已过期", "MLPS assessment expired"),
    "qualification.iso27001_expired": ("ISO 27001 证书已过期", "ISO 27001 certificate expired"),
}
# The parts of "requires %(m)s", joined by "、" (", " in English).
NEEDS = {
    "qualification.need_dengbao": ("等保 %(n)d 级", "MLPS level %(n)d"),
    "qualification.need_dsmm": ("DSMM %(n)d 级", "DSMM level %(n)d"),
    "qualification.need_dcmm": ("DCMM %(n)d 级", "DCMM level %(n)d"),
    "qualification.need_iso27001": ("ISO/IEC 27001 认证", "ISO/IEC 27001 certified"),
}
FULL_WIDTH = {"，": ",", "：": ":", "（": "(", "）": ")", "；": ";"}


def pattern(template: str) -> re.Pattern:
    """A template as a regex: %(x)s any text, %(x)d digits; full- or half-width punctuation."""
    parts = re.split(r"(%\(\w+\)[sd])", template)
    out = []
    for part in parts:
        field = re.fullmatch(r"%\((\w+)\)([sd])", part)
        if field:
            name, kind = field.groups()
            out.append(rf"(?P<{name}>\d+)" if kind == "d" else rf"(?P<{name}>.+?)")
        else:
            out.append(
                "".join(f"[{c}{FULL_WIDTH[c]}]" if c in FULL_WIDTH else re.escape(c) for c in part)
            )
    return re.compile("^" + "".join(out) + "$")


def patterns(templates: dict) -> list:
    return [(code, pattern(t)) for code, pair in templates.items() for t in pair]


def labels(choices) -> dict:
    """Label (Chinese or English, either parentheses) → stored code."""
    found = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in choices.choices:
                text = str(label)
                found[text] = value
                found[text.replace("（", "(").replace("）", ")")] = value
    return found


def convert(text: str, matchers, context) -> dict | None:
    """{"code", "params"} for a finding's text, or None when no template fits it."""
    for code, regex in matchers:
        match = regex.match(text.strip())
        if match is None:
            continue
        params = {}
        for name, value in match.groupdict().items():
            if name == "n":
                params[name] = int(value)
            elif name == "d":
                if value not in context["domains"]:
                    break
                params[name] = {"choice": "domain", "value": context["domains"][value]}
            elif name == "g":
                if value not in context["grades"]:
                    break
                params[name] = {"choice": "grade", "value": context["grades"][value]}
            elif name == "m":
                needs = [convert(p, context["needs"], context) for p in re.split(r"、|, ", value)]
                if None in needs:
                    break
                params[name] = needs
            else:
                params[name] = value
        else:
            return {"code": code, "params": params}
    return None


def forward(apps, schema_editor):
    from pdao.catalogue.choices import Domain, Grade

    context = {"domains": labels(Domain), "grades": labels(Grade), "needs": patterns(NEEDS)}
    matchers = patterns(WRITTEN)
    Application = apps.get_model("authorization", "Application")
    for application in Application.objects.exclude(precheck=[]).only("pk", "precheck"):
        changed = False
        findings = []
        for finding in application.precheck:
            if "code" in finding or not isinstance(finding.get("message"), str):
                findings.append(finding)
                continue
            message = convert(finding["message"], matchers, context)
            if message is None:  # kept as it was written: its text is the fallback
                findings.append(finding)
                continue
            findings.append({"rule": finding["rule"], "severity": finding["severity"]} | message)
            changed = True
        if changed:
            Application.objects.filter(pk=application.pk).update(precheck=findings)


def backward(apps, schema_editor):
    """Back to text, in the platform language."""
    from django.conf import settings

    from pdao.authorization.precheck import BASIS
    from pdao.core.messages import render

    Application = apps.get_model("authorization", "Application")
    with translation.override(settings.LANGUAGE_CODE):
        for application in Application.objects.exclude(precheck=[]).only("pk", "precheck"):
            findings = [
                {
                    "rule": f["rule"],
                    "severity": f["severity"],
                    "message": render(f["code"], f.get("params")),
                    "basis": str(BASIS.get(f["rule"], "")),
                }
                if "code" in f
                else f
                for f in application.precheck
            ]
            Application.objects.filter(pk=application.pk).update(precheck=findings)


class Migration(migrations.Migration):
    dependencies = [
        ("authorization", "0005_tracking_numbers"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
