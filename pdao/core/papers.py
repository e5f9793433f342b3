"""Documents described once as a `Paper` and rendered to Word (python-docx), PDF (WeasyPrint)
and Excel (openpyxl): the finance pillar's 缴款通知, statements and 31 March report, the market's
数据产品说明书 and contracts. A table cell that is a `Decimal` is an amount in yuan: written
1,234.50 in Word and PDF, kept a number (format #,##0.00) in Excel so a reader can sum it.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import re
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

from pdao.audit.export import safe_cell

FONT = "WenQuanYi Micro Hei"
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
TYPES = {"docx": WORD, "pdf": PDF, "xlsx": EXCEL}
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # zip member times: a document's bytes follow its content
FIXED_DATETIME = datetime(2020, 1, 1, tzinfo=UTC)
AUTHOR = "公共数据授权运营平台"


# Characters XML 1.0 cannot hold (python-docx refuses them): a value typed with one must not
# make a document impossible to write.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _plain(value) -> str:
    return _CONTROL.sub("", str(value))


def _text(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclasses.dataclass
class Figure:
    """A PNG shown after a section's paragraphs (Word and PDF; Excel has none), with a caption."""

    png: bytes
    caption: str


@dataclasses.dataclass
class Section:
    heading: str
    paragraphs: list[str] = dataclasses.field(default_factory=list)
    header: tuple[str, ...] = ()
    rows: list[tuple] = dataclasses.field(default_factory=list)
    sheet: str = ""  # the Excel sheet's name; sections without a table have none
    figures: list[Figure] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Paper:
    title: str
    facts: list[tuple[str, str]]  # label, value: shown under the title
    sections: list[Section]
    footer: str = ""
    landscape: bool = False  # wide tables (PDF only; Word keeps portrait)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _settled(data: bytes) -> bytes:
    """An Office file (a zip) rewritten with fixed member times, so the same document always
    gives the same bytes and a hash of it can be recomputed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member))
    return buffer.getvalue()


def docx(paper: Paper) -> bytes:
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    doc.styles["Normal"].font.name = FONT
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.add_heading(_plain(paper.title), level=0)
    for label, value in paper.facts:
        doc.add_paragraph(_plain(f"{label}：{value}"))
    for section in paper.sections:
        doc.add_heading(_plain(section.heading), level=1)
        for text in section.paragraphs:
            doc.add_paragraph(_plain(text))
        for figure in section.figures:
            width, height = _png_size(figure.png)
            if height * 15 > width * 20:  # taller than the page's 15 × 20 cm: fit the height
                doc.add_picture(io.BytesIO(figure.png), height=Cm(20))
            else:
                doc.add_picture(io.BytesIO(figure.png), width=Cm(15))
            doc.add_paragraph(_plain(figure.caption))
        if section.header:
            table = doc.add_table(rows=1, cols=len(section.header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, section.header, strict=True):
                cell.text = _plain(text)
            for row in section.rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = _plain(_text(text))
    if paper.footer:
        doc.add_paragraph(_plain(paper.footer))
    properties = doc.core_properties
    properties.created = properties.modified = FIXED_DATETIME
    properties.title, properties.language = _plain(paper.title), "zh-CN"
    properties.author = properties.last_modified_by = AUTHOR
    properties.comments = ""
    buffer = io.BytesIO()
    doc.save(buffer)
    return _settled(buffer.getvalue())


def pdf(paper: Paper) -> bytes:
    from weasyprint import HTML

    def esc(value) -> str:
        return html.escape(_plain(value))

    parts = [
        "<html><head><meta charset='utf-8'><style>"
        f"body{{font-family:'{FONT}',sans-serif;font-size:10pt}}"
        "h1{font-size:16pt;color:#0d47a1}h2{font-size:12pt;color:#0d47a1}"
        "table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:3pt}"
        "th{background:#e3f2fd}td.n{text-align:right}"
        f"@page{{size:A4{' landscape' if paper.landscape else ''};margin:18mm}}"
        "figure{margin:6pt 0}figure img{max-width:100%;max-height:230mm}"
        "figcaption{font-size:9pt;color:#555}"
        "</style></head><body>",
        f"<h1>{esc(paper.title)}</h1>",
        *(f"<p>{esc(label)}：{esc(value)}</p>" for label, value in paper.facts),
    ]
    for section in paper.sections:
        parts.append(f"<h2>{esc(section.heading)}</h2>")
        parts += [f"<p>{esc(text)}</p>" for text in section.paragraphs]
        for figure in section.figures:
            data = base64.b64encode(figure.png).decode()
            parts.append(
                f"<figure><img src='data:image/png;base64,{data}'>"
                f"<figcaption>{esc(figure.caption)}</figcaption></figure>"
            )
        if section.header:
            parts.append("<table><tr>")
            parts += [f"<th>{esc(h)}</th>" for h in section.header]
            parts.append("</tr>")
            for row in section.rows:
                parts.append(
                    "<tr>"
                    + "".join(
                        f"<td class='n'>{esc(_text(v))}</td>"
                        if isinstance(v, Decimal | int)
                        else f"<td>{esc(str(v))}</td>"
                        for v in row
                    )
                    + "</tr>"
                )
            parts.append("</table>")
    if paper.footer:
        parts.append(f"<p>{esc(paper.footer)}</p>")
    parts.append("</body></html>")
    return HTML(string="".join(parts)).write_pdf()


def xlsx(paper: Paper) -> bytes:
    """One sheet of facts, then a sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    first = book.active
    first.title = "概况"
    first.append([safe_cell(paper.title)])
    first["A1"].font = Font(bold=True, size=14)
    for label, value in paper.facts:
        first.append([safe_cell(label), safe_cell(value)])
    for section in paper.sections:
        if section.paragraphs and not section.header:
            first.append([])
            first.append([safe_cell(section.heading)])
            for text in section.paragraphs:
                first.append([safe_cell(text)])
    first.column_dimensions["A"].width = 22
    first.column_dimensions["B"].width = 60
    for section in paper.sections:
        if not section.header:
            continue
        sheet = book.create_sheet((section.sheet or section.heading)[:31])
        sheet.append(list(section.header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append([v if isinstance(v, Decimal | int) else safe_cell(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00"
        for index, title in enumerate(section.header, start=1):
            longest = max([len(str(title))] + [len(_text(r[index - 1])) for r in section.rows])
            sheet.column_dimensions[get_column_letter(index)].width = min(48, 4 + 2 * longest)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


RENDER = {"docx": docx, "pdf": pdf, "xlsx": xlsx}


def render(paper: Paper, fmt: str) -> bytes:
    """`paper` as `fmt` (docx, pdf or xlsx); KeyError for any other."""
    return RENDER[fmt](paper)
