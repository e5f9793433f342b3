# Alert titles and evidence labels written as Chinese text become message codes with parameters
# (pdao.core.messages). The templates below are a frozen copy of what the monitoring rules wrote
# (full- or half-width punctuation, as releases differed); an alert none of them matches keeps
# its text (`title_text`, the old `title` column) as the fallback. `title_text` is kept either
# way, so nothing is lost and going back is only clearing the codes.

import re

from django.db import migrations

# rule code → [(message code, title as written)]
TITLES = {
    "volume_spike": [
        (
            "alert.volume_spike",
            "产品 %(product)s 在 %(minutes)d 分钟内被调用 %(n)d 次，为基线 %(baseline)f 的 "
            "%(ratio)f 倍",
        )
    ],
    "off_hours": [("alert.off_hours", "使用方 #%(consumer)d 在 0:00–6:00 调用 %(n)d 次")],
    "after_stop": [
        (
            "alert.after_stop_calls",
            "授权不在有效状态后，使用方 #%(consumer)d 仍调用产品 %(product)s %(n)d 次",
        ),
        ("alert.after_stop_queries", "授权 %(a)s 不在有效状态后仍有 %(n)d 次专区查询"),
    ],
    "probing": [("alert.probing", "授权 %(a)s 在 %(minutes)d 分钟内有 %(n)d 次专区查询被拒绝")],
    "differencing": [
        ("alert.differencing_same", "授权 %(a)s 在 %(minutes)d 分钟内对 %(tables)s 的相同列查询 %(n)d 次"),
        (
            "alert.differencing_near",
            "授权 %(a)s 有 %(n)d 个输出数值与此前输出相差不足 k 人，沿用了此前的结果（疑似构造差分对）",
        ),
    ],
    "near_k": [
        (
            "alert.near_k",
            "授权 %(a)s 在 %(hours)d 小时内有 %(n)d 个分组与此前相差不足 k 人的分组一个显示、一个不显示"
            "（疑似围绕 k 构造差分对，判断某人是否在其中）",
        )
    ],
    "budget_low": [
        ("alert.budget_low", "授权 %(a)s 的隐私预算仅剩 ε=%(left)f（总量的 %(percent)d%）")
    ],
    "over_quota": [("alert.over_quota", "订阅 %(s)s 在 %(minutes)d 分钟内因配额用尽被拒 %(n)d 次")],
    "new_source": [
        ("alert.new_source", "凭证 #%(credential)d 首次从地址 %(address)s 调用（%(n)d 次）")
    ],
    "quality": [("alert.quality", "%(r)s 第 %(v)d 版质量得分 %(score)f，低于 %(threshold)f")],
    "tamper_files": [
        ("alert.tamper_version", "%(r)s 第 %(v)d 版的存储文件与登记哈希不符或缺失"),
        ("alert.tamper_derived", "衍生数据「%(name)s」（%(a)s）的文件与登记哈希不符或缺失"),
        ("alert.tamper_report", "报告 %(product)s 第 %(n)d 期的 %(format)s 文件与登记哈希不符或缺失"),
    ],
    "ledger": [("alert.ledger", "账本校验失败：%(problem)s")],
}
EVIDENCE = [
    ("evidence.delivery", "交付记录 %(trace)s"),
    ("evidence.query", "专区查询 #%(pk)d"),
    ("evidence.authorization", "授权 %(a)s"),
    ("evidence.version", "%(r)s 第 %(v)d 版"),
    ("evidence.ledger", "账本与检查点"),
]
FULL_WIDTH = {"，": ",", "：": ":", "（": "(", "）": ")"}


def pattern(template: str) -> re.Pattern:
    """A template as a regex: %(x)s any text, %(x)d digits, %(x)f a decimal; full- or
    half-width punctuation."""
    out = []
    for part in re.split(r"(%\(\w+\)[sdf])", template):
        field = re.fullmatch(r"%\((\w+)\)([sdf])", part)
        if field:
            name, kind = field.groups()
            body = {"d": r"\d+", "f": r"\d+(?:\.\d+)?", "s": r".+?"}[kind]
            out.append(f"(?P<{name}>{body})")
        else:
            out.append(
                "".join(
                    f"[{c}{FULL_WIDTH[c]}]" if c in FULL_WIDTH else re.escape(c) for c in part
                )
            )
    return re.compile("^" + "".join(out) + "$", re.S)


def convert(text: str, templates) -> dict | None:
    for code, template in templates:
        match = pattern(template).match(text.strip())
        if match is None:
            continue
        kinds = dict(re.findall(r"%\((\w+)\)([sdf])", template))
        params = {}
        for name, value in match.groupdict().items():
            if kinds[name] == "d":
                params[name] = int(value)
            elif kinds[name] == "f":
                params[name] = float(value)
            elif name == "tables":
                params[name] = value.split("、")
            else:
                params[name] = value
        return {"code": code, "params": params}
    return None


def forward(apps, schema_editor):
    Alert = apps.get_model("supervision", "Alert")
    for alert in Alert.objects.select_related("rule"):
        message = alert.message or convert(alert.title_text, TITLES.get(alert.rule.code, []))
        evidence = [
            (convert(e["label"], EVIDENCE) or {}) | e
            if isinstance(e.get("label"), str) and "code" not in e
            else e
            for e in alert.evidence
        ]
        # A converted label is no longer needed; a label that was data (a product code) stays.
        evidence = [{k: v for k, v in e.items() if k != "label"} if "code" in e else e
                    for e in evidence]  # fmt: skip
        if message != alert.message or evidence != alert.evidence:
            Alert.objects.filter(pk=alert.pk).update(message=message or {}, evidence=evidence)


def backward(apps, schema_editor):
    """Back to text in the platform language: titles are still in `title_text` (filled in for
    alerts raised since), evidence labels are written again."""
    from django.conf import settings
    from django.utils import translation

    from pdao.core.messages import render_stored

    Alert = apps.get_model("supervision", "Alert")
    with translation.override(settings.LANGUAGE_CODE):
        for alert in Alert.objects.all():
            title = alert.title_text or render_stored(alert.message)
            evidence = [
                {"label": render_stored(e, fallback_key="label"), "url": e.get("url", "")}
                for e in alert.evidence
            ]
            Alert.objects.filter(pk=alert.pk).update(
                title_text=title[:300], message={}, evidence=evidence
            )


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0006_alert_message"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
