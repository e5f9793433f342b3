"""数据报告: one edition of a report product rendered as PDF (WeasyPrint) and Word
(python-docx), with charts drawn by matplotlib. Pure: it is given only what the zone released
(columns, rows, suppression notes) and the product's metadata, never a dataset.

Charts are PNG at 150 dpi, the same image in both documents; Chinese needs the WenQuanYi
font (fonts-wqy-microhei), which .ci/run and make test install.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CHARTS = ("bar", "line", "none")
FORMS = ("aggregate", "dp")
MAX_SECTIONS = 12
MAX_TABLE_ROWS = 200


@dataclass
class Section:
    title: str
    note: str
    form: str
    chart: str
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    suppression: list[str] = field(default_factory=list)
    epsilon_spent: float = 0.0


def check_sections(raw) -> list[dict]:
    """The declared sections, or ValueError naming the first problem (shown to the operator)."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_SECTIONS:
        raise ValueError(f"报告应有 1 至 {MAX_SECTIONS} 节，每节为一个对象")
    out = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ValueError(f"第 {number} 节应为对象")
        title, sql = str(item.get("title", "")).strip(), str(item.get("sql", "")).strip()
        form, chart = item.get("form", "aggregate"), item.get("chart", "bar")
        if not title or not sql:
            raise ValueError(f"第 {number} 节须有 title 和 sql")
        if form not in FORMS:
            raise ValueError(f"第 {number} 节的 form 应为 aggregate 或 dp")
        if chart not in CHARTS:
            raise ValueError(f"第 {number} 节的 chart 应为 bar、line 或 none")
        out.append(
            {
                "title": title[:100],
                "sql": sql,
                "form": form,
                "chart": chart,
                "note": str(item.get("note", ""))[:1000],
            }
        )
    return out


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def chart_png(section: Section) -> bytes | None:
    """A bar or line chart of the first numeric column against the first column; None when
    the section asks for none or has nothing numeric to draw."""
    if section.chart == "none" or not section.rows or len(section.columns) < 2:
        return None
    value_index = next(
        (
            i
            for i in range(1, len(section.columns))
            if any(_number(r[i]) is not None for r in section.rows)
        ),
        None,
    )
    if value_index is None:
        return None
    import os
    import tempfile

    # matplotlib keeps a font cache; the service account may have no home directory.
    os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "pdao-matplotlib"))
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font = font_manager.FontProperties(fname=str(CJK_FONT)) if CJK_FONT.exists() else None
    labels = [str(r[0]) for r in section.rows[:40]]
    values = [_number(r[value_index]) or 0.0 for r in section.rows[:40]]
    figure, axes = plt.subplots(figsize=(7.0, 3.2), dpi=150)
    try:
        if section.chart == "line":
            axes.plot(labels, values, marker="o", color="#1565c0")
        else:
            axes.bar(labels, values, color="#1565c0")
        axes.set_ylabel(section.columns[value_index], fontproperties=font)
        format_value_axis(axes, section.chart, values)
        for label in axes.get_xticklabels():
            if font is not None:
                label.set_fontproperties(font)
            label.set_rotation(30 if len(labels) > 6 else 0)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def format_value_axis(axes, chart: str, values) -> None:
    """Plain numbers with thousands separators, never an offset or scientific notation
    (208,333 against 208,334 drawn as "+2.0833e5" and a cliff misleads); bars start at zero."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    def plain(value, _position) -> str:
        if abs(value - round(value)) < 1e-9:
            return f"{round(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")

    axes.yaxis.set_major_formatter(FuncFormatter(plain))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=6))
    if chart != "line":
        low = min([0.0, *values])
        high = max([0.0, *values])
        axes.set_ylim(low, high * 1.05 if high > 0 else 1.0)


def _cell(value) -> str:
    if value is None:
        return "—"  # suppressed by disclosure control
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def render_pdf(meta: dict, sections: list[Section]) -> bytes:
    from weasyprint import HTML

    esc = html.escape
    parts = [
        "<html><head><meta charset='utf-8'><style>"
        "body{font-family:'WenQuanYi Micro Hei',sans-serif;font-size:10pt;color:#222}"
        "h1{font-size:18pt;color:#0d47a1}h2{font-size:13pt;margin-top:18pt;color:#0d47a1}"
        "table{border-collapse:collapse;width:100%;margin:6pt 0}"
        "th,td{border:1px solid #999;padding:3pt 5pt;text-align:left}th{background:#e3f2fd}"
        ".meta{color:#555}.note{color:#555;font-size:9pt}img{width:100%}"
        "@page{size:A4;margin:18mm;@bottom-center{content:counter(page);font-size:8pt}}"
        "</style></head><body>",
        f"<h1>{esc(meta['name'])}</h1>",
        f"<p class='meta'>产品编号 {esc(meta['code'])} · 备案编号 {esc(meta['filing_no'])} · "
        f"第 {meta['edition']} 期 · 生成于 {esc(meta['generated_at'])}<br>"
        f"运营单位：{esc(meta['operator'])} · 授权 {esc(meta['authorization'])}</p>",
        f"<p>{esc(meta['summary'])}</p>",
    ]
    for number, section in enumerate(sections, 1):
        parts.append(f"<h2>{number}. {esc(section.title)}</h2>")
        if section.note:
            parts.append(f"<p>{esc(section.note)}</p>")
        png = chart_png(section)
        if png:
            parts.append(f"<img src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
        parts.append("<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in section.columns))
        for row in section.rows[:MAX_TABLE_ROWS]:
            parts.append("<tr>" + "".join(f"<td>{esc(_cell(v))}</td>" for v in row) + "</tr>")
        parts.append("</table>")
        parts.append(f"<p class='note'>{esc(_footnote(section))}</p>")
    parts.append(f"<p class='note'>{esc(FOOTER)}</p></body></html>")
    return HTML(string="".join(parts)).write_pdf()


FOOTER = (
    "本报告在柳州市公共数据授权运营专区内生成，所用查询均经合规审查；输出经专区引擎的输出控制"
    "（聚合门限、抑制或差分隐私）并经出域审核后发布。原始数据不出域。"
)


def _footnote(section: Section) -> str:
    form = "差分隐私（含随机噪声）" if section.form == "dp" else "聚合统计"
    text = f"输出形式：{form}。"
    if section.suppression:
        text += f"已抑制 {len(section.suppression)} 处（“—”）：" + ";".join(section.suppression[:3])
    return text


def render_docx(meta: dict, sections: list[Section]) -> bytes:
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "WenQuanYi Micro Hei"
    style.font.size = Pt(10.5)
    doc.add_heading(meta["name"], level=0)
    doc.add_paragraph(
        f"产品编号 {meta['code']} · 备案编号 {meta['filing_no']} · 第 {meta['edition']} 期 · "
        f"生成于 {meta['generated_at']}"
    )
    doc.add_paragraph(f"运营单位：{meta['operator']} · 授权 {meta['authorization']}")
    doc.add_paragraph(meta["summary"])
    for number, section in enumerate(sections, 1):
        doc.add_heading(f"{number}. {section.title}", level=1)
        if section.note:
            doc.add_paragraph(section.note)
        png = chart_png(section)
        if png:
            doc.add_picture(io.BytesIO(png), width=Cm(16))
        table = doc.add_table(rows=1, cols=max(1, len(section.columns)))
        table.style = "Table Grid"
        for cell, name in zip(table.rows[0].cells, section.columns, strict=False):
            cell.text = name
        for row in section.rows[:MAX_TABLE_ROWS]:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=False):
                cell.text = _cell(value)
        doc.add_paragraph(_footnote(section))
    doc.add_paragraph(FOOTER)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
