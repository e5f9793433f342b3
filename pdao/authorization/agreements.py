"""授权运营协议 — terms built from the approved application and the bureau's limits, kept as
canonical JSON (sorted keys, no floats: what is signed is exactly what is shown), rendered to
Word (python-docx) and PDF (WeasyPrint), signed by both parties with Ed25519 over the SHA-256
of the canonical form, and verified from that form every time it is shown."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from django.template.loader import render_to_string

from pdao.ledger import keys, note
from pdao.ledger.entry import canonical
from pdao.ledger.models import SigningKey

PROHIBITED = [
    "超出授权范围（资源、字段、用途、输出形式、期限）使用公共数据",
    "以任何方式向第三方提供、出售或公开原始数据",
    "将授权转授权、转让或变相转让给其他单位",
    "尝试重新识别个人身份或关联还原敏感信息",
    "绕过数据运营专区的访问控制、输出审核或审计",
]
EXIT_TERMS = [
    "授权到期、撤销或运营单位主动退出时，专区工作空间立即关闭，全部衍生数据在专区内销毁并出具销毁记录",
    "已上架数据产品同步下架，未结算收益按协议约定结算",
    "运营单位配合市数据局完成数据安全审计与交接",
]


def digest(terms: dict) -> str:
    """Hex SHA-256 of the terms' canonical form: the value both parties sign."""
    return hashlib.sha256(canonical(terms)).hexdigest()


def key_for(organisation) -> SigningKey:
    """The organisation's agreement key, generated (and encrypted at rest) on first use."""
    return keys.ensure(
        f"pdao.liuzhou/agreement/{organisation.credit_code}",
        purpose=SigningKey.Purpose.AGREEMENT,
        holder=organisation.name,
    )


def sign(terms: dict, key: SigningKey) -> bytes:
    return keys.signer(key).private_key.sign(bytes.fromhex(digest(terms)))


@dataclass(frozen=True)
class Check:
    organisation: str
    signer: str
    signed_at: object
    key_name: str
    valid: bool


def verify(agreement) -> tuple[bool, list[Check]]:
    """Recompute the digest from the stored terms and check every signature against it; any
    change to the terms (one character) makes every signature fail."""
    recomputed = bytes.fromhex(digest(agreement.terms))
    checks = []
    for s in agreement.signatures.select_related("organisation", "signer", "key"):
        try:
            note.Verifier.from_vkey(s.key.vkey).public_key.verify(bytes(s.signature), recomputed)
            valid = True
        except (InvalidSignature, note.NoteError, ValueError):
            valid = False
        checks.append(Check(s.organisation.name, str(s.signer), s.signed_at, s.key.name, valid))
    intact = recomputed.hex() == agreement.sha256
    return intact and bool(checks) and all(c.valid for c in checks), checks


def _context(agreement) -> dict:
    ok, checks = verify(agreement)
    return {"agreement": agreement, "t": agreement.terms, "checks": checks, "verified": ok}


def render_pdf(agreement) -> bytes:
    from weasyprint import HTML

    html = render_to_string("authorization/agreement_print.html", _context(agreement))
    return HTML(string=html).write_pdf()


def render_docx(agreement) -> bytes:
    from docx import Document
    from docx.shared import Pt

    t = agreement.terms
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "WenQuanYi Micro Hei"
    style.font.size = Pt(10.5)
    doc.add_heading(t["title"], level=0)
    doc.add_paragraph(f"协议编号：{t['agreement_no']}")
    doc.add_heading("一、协议双方", level=1)
    for role, party in (("甲方（授权方）", t["grantor"]), ("乙方（运营单位）", t["operator"])):
        doc.add_paragraph(f"{role}:{party['name']}(统一社会信用代码 {party['credit_code']})")
    doc.add_heading("二、应用场景与用途", level=1)
    s = t["scenario"]
    doc.add_paragraph(f"场景名称：{s['name']}；领域：{s['domain']}；用途类别：{s['purpose']}")
    doc.add_paragraph(s["description"])
    doc.add_heading("三、授权期限", level=1)
    doc.add_paragraph(f"自 {t['term']['starts_on']} 起至 {t['term']['ends_on']} 止。")
    doc.add_heading("四、授权范围", level=1)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, ("数据资源", "分级", "字段（用途）", "输出形式"), strict=True
    ):
        cell.text = text
    for item in t["scope"]:
        row = table.add_row().cells
        row[0].text = f"{item['resource_name']}({item['resource_code']})"
        row[1].text = item["grade"]
        row[2].text = ";".join(f"{f['label']}({f['purpose']})" for f in item["fields"])
        row[3].text = "、".join(item["output_forms"])
    doc.add_heading("五、使用限制", level=1)
    limits = t["limits"]
    doc.add_paragraph(
        f"隐私预算 ε 总量 {limits['epsilon_total']};"
        + (
            f"单次查询 ε {limits['epsilon_query_min']} 至 {limits['epsilon_query_max']};"
            if "epsilon_query_max" in limits
            else ""
        )
        + f"每日查询上限 {limits['daily_queries']} 次；"
        f"每月调用配额 {limits['monthly_calls']} 次。"
    )
    doc.add_heading("六、定价与收益分配", level=1)
    p = t["pricing"]
    doc.add_paragraph(
        f"定价类别：{p['category']}；收费上限：{p['fee_cap_yuan']} 元/次；"
        f"收益上缴比例：{t['revenue_share_percent']}%。"
    )
    doc.add_heading("七、禁止行为", level=1)
    for line in t["prohibited"]:
        doc.add_paragraph(line, style="List Number")
    doc.add_heading("八、退出条款", level=1)
    for line in t["exit"]:
        doc.add_paragraph(line, style="List Number")
    doc.add_heading("九、电子签署", level=1)
    doc.add_paragraph(f"规范文本 SHA-256:{agreement.sha256}")
    for c in verify(agreement)[1]:
        doc.add_paragraph(
            f"{c.organisation}:{c.signer} 于 {c.signed_at:%Y-%m-%d %H:%M} 以密钥 {c.key_name} "
            f"签署（Ed25519），验证{'通过' if c.valid else '失败'}"
        )
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
