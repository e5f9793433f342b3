"""安全事件: opened from alerts (or directly), gathering the emergency actions taken, closed
with a report that is exported as Word and PDF and whose SHA-256 goes on the ledger."""

from __future__ import annotations

import hashlib
import html
import io

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.core.codes import next_code
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation, require
from pdao.ledger.services import anchor
from pdao.supervision.choices import Severity
from pdao.supervision.models import Alert, Incident

INCIDENT_OPEN = actions.define("incident.open", gettext_lazy("开立安全事件"))
INCIDENT_LINK = actions.define("incident.link", gettext_lazy("关联告警"))
INCIDENT_CLOSE = actions.define("incident.close", gettext_lazy("安全事件结案"))


@transaction.atomic
def open_incident(*, by, title: str, description: str, severity: str, alerts=()) -> Incident:
    require(by, Perm.SUPERVISION_MANAGE)
    if not title.strip() or not description.strip():
        raise RuleViolation(_("请填写事件名称和描述。"))
    if severity not in Severity.values:
        raise RuleViolation(_("未知的级别。"))
    incident = Incident.objects.create(
        code=next_code("LZ-IN", Incident),
        title=title.strip()[:200],
        description=description.strip(),
        severity=severity,
        opened_by=by,
    )
    incident.alerts.set(alerts)
    record(
        INCIDENT_OPEN,
        by=by,
        target=incident,
        changes={"severity": severity, "alerts": [a.pk for a in alerts]},
        summary=_("开立安全事件 %(code)s：%(title)s")
        % {"code": incident.code, "title": incident.title},
    )
    return incident


@transaction.atomic
def link_alert(incident: Incident, alert: Alert, *, by) -> Incident:
    require(by, Perm.SUPERVISION_MANAGE)
    if incident.status != Incident.Status.OPEN:
        raise RuleViolation(_("事件已结案。"))
    incident.alerts.add(alert)
    record(
        INCIDENT_LINK,
        by=by,
        target=incident,
        changes={"alert": alert.pk},
        summary=_("安全事件 %(code)s 关联告警 #%(pk)s") % {"code": incident.code, "pk": alert.pk},
    )
    return incident


@transaction.atomic
def close_incident(incident: Incident, *, by, report: str) -> Incident:
    """结案: the closing report is kept, exported, and its PDF's hash anchored."""
    require(by, Perm.SUPERVISION_MANAGE)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != Incident.Status.OPEN:
        raise RuleViolation(_("事件已结案。"))
    if len(report.strip()) < 20:
        raise RuleViolation(_("结案报告过短：请写明经过、原因、处置和整改。"))
    if incident.actions.filter(lifted_at__isnull=True).exists():
        raise RuleViolation(_("仍有生效中的应急处置：请由市数据局解除或说明后再结案。"))
    incident.status = Incident.Status.CLOSED
    incident.closing_report = report.strip()
    incident.closed_by, incident.closed_at = by, timezone.now()
    incident.save(update_fields=["status", "closing_report", "closed_by", "closed_at"])
    digest = hashlib.sha256(render_docx(incident)).hexdigest()
    record(
        INCIDENT_CLOSE,
        by=by,
        target=incident,
        changes={"report_docx_sha256": digest},
        summary=_("安全事件 %(code)s 结案") % {"code": incident.code},
    )
    anchor("incident.close", content_hash=digest, by=by, target=incident)
    return incident


def _facts(incident: Incident) -> dict:
    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"

    return {
        "title": f"安全事件 {incident.code}:{incident.title}",
        "rows": [
            ("级别", incident.get_severity_display()),
            ("状态", incident.get_status_display()),
            ("开立", f"{when(incident.opened_at)} {incident.opened_by}"),
            ("结案", f"{when(incident.closed_at)} {incident.closed_by or ''}"),
        ],
        "description": incident.description,
        "alerts": [
            (
                f"#{a.pk}",
                a.rule.name,
                a.get_severity_display(),
                a.title,
                when(a.first_seen),
                a.get_status_display(),
            )
            for a in incident.alerts.select_related("rule").order_by("first_seen")
        ],
        "actions": [
            (
                a.get_kind_display(),
                a.target,
                a.reason,
                when(a.taken_at),
                f"{when(a.lifted_at)} {a.lift_reason}" if a.lifted_at else "生效中",
            )
            for a in incident.actions.order_by("taken_at")
        ],
        "report": incident.closing_report or "（尚未结案）",
    }


def render_docx(incident: Incident) -> bytes:
    from docx import Document
    from docx.shared import Pt

    facts = _facts(incident)
    doc = Document()
    doc.styles["Normal"].font.name = "WenQuanYi Micro Hei"
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.add_heading(facts["title"], level=0)
    for label, value in facts["rows"]:
        doc.add_paragraph(f"{label}:{value}")
    doc.add_heading("一、事件描述", level=1)
    doc.add_paragraph(facts["description"])
    for heading, header, rows in (
        ("二、关联告警", ("编号", "规则", "级别", "内容", "首次发现", "状态"), facts["alerts"]),
        ("三、应急处置", ("措施", "对象", "理由", "处置时间", "解除"), facts["actions"]),
    ):
        doc.add_heading(heading, level=1)
        table = doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = text
        for row in rows:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = str(text)
    doc.add_heading("四、结案报告", level=1)
    doc.add_paragraph(facts["report"])
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def render_pdf(incident: Incident) -> bytes:
    from weasyprint import HTML

    facts = _facts(incident)
    esc = html.escape

    def table(header, rows):
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>" for row in rows
        )
        return f"<table><tr>{head}</tr>{body}</table>"

    page = (
        "<html><head><meta charset='utf-8'><style>"
        "body{font-family:'WenQuanYi Micro Hei',sans-serif;font-size:10pt}"
        "h1{font-size:16pt;color:#0d47a1}h2{font-size:12pt;color:#0d47a1}"
        "table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:3pt}"
        "th{background:#e3f2fd}@page{size:A4;margin:18mm}</style></head><body>"
        f"<h1>{esc(facts['title'])}</h1>"
        + "".join(f"<p>{esc(k)}:{esc(v)}</p>" for k, v in facts["rows"])
        + f"<h2>一、事件描述</h2><p>{esc(facts['description'])}</p>"
        + "<h2>二、关联告警</h2>"
        + table(("编号", "规则", "级别", "内容", "首次发现", "状态"), facts["alerts"])
        + "<h2>三、应急处置</h2>"
        + table(("措施", "对象", "理由", "处置时间", "解除"), facts["actions"])
        + f"<h2>四、结案报告</h2><p>{esc(facts['report'])}</p></body></html>"
    )
    return HTML(string=page).write_pdf()
