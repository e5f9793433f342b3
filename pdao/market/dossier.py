"""挂牌材料 — the 数据产品说明书 and the evidence an exchange asks for, drawn from the records
and the operator's own description, as one package: the 说明书 in PDF and Word, the same fields
as JSON, and the evidence (compliance review, registration, source quality, spot checks).

The package is a zip written with fixed member times, so the same content always gives the same
bytes and the SHA-256 anchored on the ledger can be recomputed from the records by anyone.
"""

from __future__ import annotations

import io
import json
import zipfile

from django.db.models import Q
from django.utils import timezone

from pdao.catalogue.choices import Domain, Frequency
from pdao.catalogue.models import Resource
from pdao.core import papers
from pdao.finance import money
from pdao.market.choices import Delivery
from pdao.products.choices import Charging, Check, ParamType, ProductKind
from pdao.supervision.models import SpotCheck


def label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def price_text(plan) -> str:
    """A plan's price in words: 免费 / 0.50 元/次 / 1,200.00 元/月 / 12.00 元/千行."""
    if plan.charging == Charging.FREE:
        return "免费"
    if plan.charging == Charging.MONTHLY:
        return f"{money.unit_text(plan.monthly_fee)} 元/月"
    unit = "元/次" if plan.charging == Charging.PER_CALL else "元/千行"
    text = f"{money.unit_text(plan.unit_price)} {unit}"
    if plan.tiers:
        steps = "；".join(f"第 {int(s):,} 次起 {money.unit_text(p)} {unit}" for s, p in plan.tiers)
        text += f"（阶梯：{steps}，按购买数量累计）"
    return text


def sources(product) -> list[dict]:
    """The resources the product's authorization covers, with their latest quality score."""
    scope = product.authorization.agreement.terms.get("scope", [])
    codes = [item["resource_code"] for item in scope]
    found = {r.code: r for r in Resource.objects.filter(code__in=codes)}
    rows = []
    for item in scope:
        resource = found.get(item["resource_code"])
        version = resource.active_version if resource else None
        score = version.quality_score if version else None
        rows.append(
            {
                "resource_code": item["resource_code"],
                "resource_name": item["resource_name"],
                "grade": item.get("grade", ""),
                "quality_score": None if score is None else round(score, 1),
                "version_sha256": version.sha256 if version else "",
            }
        )
    return rows


def spot_checks(product) -> list[dict]:
    checks = (
        SpotCheck.objects.filter(Q(product=product) | Q(items__delivery__product=product))
        .distinct()
        .order_by("-created_at")[:20]
    )
    return [
        {
            "code": c.code,
            "title": c.title,
            "status": str(c.get_status_display()),
            "drawn": timezone.localtime(c.created_at).date().isoformat(),
            "conclusion": c.conclusion,
        }
        for c in checks
    ]


def field_keys(product) -> list[str]:
    """The keys of the meanings a 说明书 may give: in:<parameter> and out:<declared column>."""
    return [f"in:{p.get('name', '')}" for p in product.parameters or []] + [
        f"out:{c.get('name', '')}" for c in product.output_columns or []
    ]


def fields(product) -> tuple[list[dict], list[dict]]:
    """Input parameters and declared output columns, each with the meaning the operator gave."""
    meanings = getattr(getattr(product, "specification", None), "field_meanings", {}) or {}
    inputs = [
        {
            "name": p.get("name", ""),
            "label": p.get("label", ""),
            "type": label(ParamType, p.get("type", "")),
            "meaning": meanings.get(f"in:{p.get('name', '')}", ""),
        }
        for p in product.parameters or []
    ]
    outputs = [
        {
            "name": c.get("name", ""),
            "label": c.get("label", ""),
            "meaning": meanings.get(f"out:{c.get('name', '')}", ""),
        }
        for c in product.output_columns or []
    ]
    return inputs, outputs


def _term(start, end) -> str:
    return f"{start.isoformat()} 至 {end.isoformat()}"


def content(product, registration=None) -> dict:
    """The 说明书's fields and the evidence's facts: what the JSON of the package holds."""
    spec = product.specification
    authorization = product.authorization
    application = authorization.application
    review = product.reviews.filter(outcome="passed").prefetch_related("signoffs__user").first()
    inputs, outputs = fields(product)
    return {
        "产品编号": product.code,
        "产品名称": product.name,
        "产品简介": product.summary,
        "供方": {"名称": product.operator.name, "统一社会信用代码": product.operator.credit_code},
        "行业领域": label(Domain, application.domain),
        "数据内容": spec.data_content,
        "数据类型": label(ProductKind, product.kind),
        "更新频率": label(Frequency, spec.update_frequency),
        "输入字段": inputs,
        "输出字段": outputs,
        "使用条件": {
            "使用目的": spec.use_purpose,
            "使用期限": spec.use_term,
            "允许的使用者": spec.allowed_users,
            "禁止行为": spec.prohibited,
        },
        "应用案例": spec.use_cases,
        "交付方式": label(Delivery, spec.delivery),
        "数据来源": {
            "来源": "公共数据授权运营",
            "授权编号": authorization.code,
            "应用场景": application.scenario,
            "授权期限": _term(authorization.starts_on, authorization.ends_on),
        },
        "价格方案": [
            {
                "方案": plan.name,
                "计费方式": label(Charging, plan.charging),
                "价格": price_text(plan),
            }
            for plan in product.plans.filter(is_active=True)
        ],
        "上限收费标准（元/次）": str(product.price_cap) if product.price_cap is not None else "",
        "合规审查": {
            "备案编号": product.filing_no,
            "备案日期": timezone.localtime(product.filed_at).date().isoformat()
            if product.filed_at
            else "",
            "审查清单": [
                {
                    "项目": label(Check, key),
                    "结果": "通过" if value.get("passed") else "未通过",
                    "说明": value.get("note", ""),
                }
                for key, value in (review.checks.items() if review else [])
            ],
            "签署": [
                {
                    "签署方": str(s.get_role_display()),
                    "签署人": str(s.user),
                    "意见": s.note,
                    "日期": timezone.localtime(s.signed_at).date().isoformat(),
                }
                for s in (review.signoffs.all() if review else [])
            ],
        },
        "数据来源质量": sources(product),
        "抽查记录": spot_checks(product),
        "产品登记": {
            "登记确认单编号": registration.code if registration else "",
            "有效期": _term(registration.valid_from, registration.valid_until)
            if registration
            else "",
        },
    }


def paper(data: dict) -> papers.Paper:
    """The 说明书 as a document."""
    use = data["使用条件"]
    source = data["数据来源"]
    return papers.Paper(
        title=f"数据产品说明书：{data['产品名称']}",
        facts=[
            ("产品编号", data["产品编号"]),
            ("供方", f"{data['供方']['名称']}（{data['供方']['统一社会信用代码']}）"),
            ("行业领域", data["行业领域"]),
            ("数据类型", data["数据类型"]),
            ("更新频率", data["更新频率"]),
            ("交付方式", data["交付方式"]),
            ("备案编号", data["合规审查"]["备案编号"]),
            ("登记确认单编号", data["产品登记"]["登记确认单编号"] or "未登记"),
            ("登记有效期", data["产品登记"]["有效期"] or "—"),
        ],
        sections=[
            papers.Section("一、产品简介", [data["产品简介"]]),
            papers.Section("二、数据内容", [data["数据内容"]]),
            papers.Section(
                "三、输入字段",
                header=("字段", "名称", "类型", "含义"),
                rows=[(f["name"], f["label"], f["type"], f["meaning"]) for f in data["输入字段"]],
                sheet="输入字段",
            ),
            papers.Section(
                "四、输出字段",
                [] if data["输出字段"] else ["输出各列见接口说明，未单独声明记录字段。"],
                header=("字段", "名称", "含义") if data["输出字段"] else (),
                rows=[(f["name"], f["label"], f["meaning"]) for f in data["输出字段"]],
                sheet="输出字段",
            ),
            papers.Section(
                "五、使用条件",
                [
                    f"使用目的：{use['使用目的']}",
                    f"使用期限：{use['使用期限']}",
                    f"允许的使用者：{use['允许的使用者']}",
                    f"禁止行为：{use['禁止行为']}",
                ],
            ),
            papers.Section("六、应用案例", [data["应用案例"]]),
            papers.Section(
                "七、数据来源",
                [
                    f"来源：{source['来源']}；授权编号：{source['授权编号']}；"
                    f"应用场景：{source['应用场景']}；授权期限：{source['授权期限']}"
                ],
                header=("数据资源", "资源代码", "分级", "质量得分"),
                rows=[
                    (
                        s["resource_name"],
                        s["resource_code"],
                        s["grade"],
                        "—" if s["quality_score"] is None else f"{s['quality_score']:.1f}",
                    )
                    for s in data["数据来源质量"]
                ],
                sheet="数据来源",
            ),
            papers.Section(
                "八、价格方案",
                [
                    "上限收费标准："
                    + (
                        f"{data['上限收费标准（元/次）']} 元/次（按量方案以千行计）"
                        if data["上限收费标准（元/次）"]
                        else "公益类，免费提供"
                    )
                ],
                header=("方案", "计费方式", "价格"),
                rows=[(p["方案"], p["计费方式"], p["价格"]) for p in data["价格方案"]],
                sheet="价格方案",
            ),
            papers.Section(
                "九、合规审查",
                header=("项目", "结果", "说明"),
                rows=[(c["项目"], c["结果"], c["说明"]) for c in data["合规审查"]["审查清单"]],
                sheet="合规审查",
            ),
            papers.Section(
                "十、抽查记录",
                [] if data["抽查记录"] else ["暂无抽查记录。"],
                header=("抽查编号", "名称", "状态", "抽样日期", "结论") if data["抽查记录"] else (),
                rows=[
                    (c["code"], c["title"], c["status"], c["drawn"], c["conclusion"])
                    for c in data["抽查记录"]
                ],
                sheet="抽查记录",
            ),
        ],
        footer="本说明书由柳州市公共数据授权运营平台根据备案、登记与交付记录生成。",
    )


def evidence_paper(data: dict) -> papers.Paper:
    """合规与登记证明: the review's sign-offs and the registration, for the exchange."""
    review = data["合规审查"]
    return papers.Paper(
        title=f"合规审查与登记证明：{data['产品名称']}",
        facts=[
            ("产品编号", data["产品编号"]),
            ("备案编号", review["备案编号"]),
            ("备案日期", review["备案日期"]),
            ("登记确认单编号", data["产品登记"]["登记确认单编号"] or "未登记"),
            ("登记有效期", data["产品登记"]["有效期"] or "—"),
        ],
        sections=[
            papers.Section(
                "审查签署",
                header=("签署方", "签署人", "意见", "日期"),
                rows=[(s["签署方"], s["签署人"], s["意见"], s["日期"]) for s in review["签署"]],
                sheet="审查签署",
            )
        ],
    )


def package(data: dict) -> bytes:
    """The dossier as one zip; the same `data` always gives the same bytes."""
    members = [
        (
            "数据产品说明书.json",
            json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode(),
        ),
        ("数据产品说明书.pdf", papers.pdf(paper(data))),
        ("数据产品说明书.docx", papers.docx(paper(data))),
        ("证明材料/合规审查与登记证明.pdf", papers.pdf(evidence_paper(data))),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members:
            info = zipfile.ZipInfo(name, date_time=papers.FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800  # UTF-8 member names
            archive.writestr(info, payload)
    return buffer.getvalue()
