"""Audit events to CSV and Excel, safe to open in a spreadsheet.

Cells that a spreadsheet would read as a formula (=, +, -, @, tab, CR at the start) get a
leading apostrophe: summaries carry user-typed reasons, and an export must never run them.
Control characters XML cannot hold are dropped (openpyxl refuses to write them).
"""

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pdao.audit import actions
from pdao.audit.models import AuditEvent

MAX_ROWS = 200_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def headers() -> list[str]:
    return [
        _("时间"),
        _("操作人"),
        _("组织"),
        _("角色"),
        _("操作代码"),
        _("操作"),
        _("对象类型"),
        _("对象ID"),
        _("摘要"),
        _("变更"),
        _("IP地址"),
        _("请求ID"),
    ]


# What openpyxl's own pattern misses and an XML writer still refuses: the noncharacters U+FFFE
# and U+FFFF and lone surrogates (found in a cancelled order's reason by an attacker session).
_NONCHARACTERS = re.compile("[\ufffe\uffff\ud800-\udfff]")


def safe_cell(value) -> str:
    """`value` as text a spreadsheet opens safely: no formula at its start, and none of the
    control characters XML forbids (openpyxl refuses them; anyone may type them in a form)."""
    text = (
        "" if value is None else _NONCHARACTERS.sub("", ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    )
    return "'" + text if text.startswith(_FORMULA_START) else text


def rows(events: Iterable[AuditEvent]) -> Iterator[list[str]]:
    for e in events:
        yield [
            safe_cell(v)
            for v in (
                timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_label,
                e.organisation_name,
                e.roles,
                e.action,
                actions.label(e.action),
                e.object_type,
                e.object_id,
                e.summary,
                json.dumps(e.changes, ensure_ascii=False) if e.changes else "",
                e.ip,
                e.request_id,
            )
        ]


def csv_chunks(events: Iterable[AuditEvent]) -> Iterator[str]:
    """CSV text in chunks, with a BOM so Excel opens the Chinese as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers())
    for i, row in enumerate(rows(events), 1):
        writer.writerow(row)
        if i % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(events: Iterable[AuditEvent]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("审计事件"))
    sheet.append(headers())
    for row in rows(events):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
