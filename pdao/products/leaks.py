"""数据泄露溯源: a suspicious file is traced against the recipients of every record-level
product whose key column it carries; candidates come back with p-values, and with the
delivery records whose rows it contains."""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao import watermark
from pdao.audit import actions
from pdao.audit.services import record
from pdao.catalogue.services import incoming_dir
from pdao.core import files, sandbox
from pdao.core.rules import RuleViolation
from pdao.products.gateway import key_tag, watermark_key
from pdao.products.models import Delivery, Product

LEAK_TRACE = actions.define("leak.trace", gettext_lazy("泄露溯源"))
MAX_BYTES = 50 * 1024 * 1024
ACCUSE = 0.01  # a candidate is named when its p-value is below this


@dataclass
class Finding:
    product: Product
    key_column: str
    suspects: list[watermark.Suspect]
    deliveries: list[tuple[Delivery, int]]  # matching deliveries of named suspects, rows shared
    consumers: dict[str, str]  # subscription code → consumer organisation


def read_suspect(data: bytes) -> pa.Table:
    """The suspicious file as a table: inspected against the leak-file limits, then parsed in
    a limited child process (pdao.core.files, pdao.core.sandbox); RuleViolation naming the
    limit or the problem otherwise. The bytes sit in the platform's data directory only while
    this runs."""
    incoming_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=incoming_dir(), prefix=".suspect-") as handle:
        handle.write(data)
        handle.flush()
        try:
            files.inspect(Path(handle.name), files.limits("leak"))
            return sandbox.run(
                read_table, data, limits=sandbox.limits("leak"), passes=(RuleViolation,)
            )
        except files.Refused as refusal:
            raise RuleViolation(refusal.message) from None
        except sandbox.LimitExceeded as exceeded:
            raise RuleViolation(str(exceeded)) from None
        except sandbox.Failed:
            raise RuleViolation(_("无法读取该文件。")) from None


def read_table(data: bytes) -> pa.Table:
    """A CSV (UTF-8 or GB18030) or Excel file as a table; raises RuleViolation when unreadable.
    Only for a file `read_suspect` inspected, in its child process."""
    if data[:2] == b"PK" and zipfile.is_zipfile(io.BytesIO(data)):
        try:
            sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
            rows = list(sheet.iter_rows(values_only=True))
        except Exception:
            raise RuleViolation(_("无法读取该 Excel 文件。")) from None
        if len(rows) < 2:
            raise RuleViolation(_("文件没有数据行。"))
        names = [str(n) if n is not None else f"列{i + 1}" for i, n in enumerate(rows[0])]
        columns = {n: [r[i] if i < len(r) else None for r in rows[1:]] for i, n in enumerate(names)}
        try:
            return pa.table(columns)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.table(
                {n: [None if v is None else str(v) for v in c] for n, c in columns.items()}
            )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RuleViolation(_("无法识别文件编码（支持 UTF-8 和 GB18030）。"))
    try:
        return pacsv.read_csv(io.BytesIO(text.encode()))
    except pa.ArrowInvalid:
        raise RuleViolation(_("无法按 CSV 读取该文件。")) from None


def trace_leak(data: bytes, *, by, product_code: str = "", key_column: str = "") -> list[Finding]:
    if len(data) > MAX_BYTES:
        raise RuleViolation(_("文件超过 50 MB。"))
    table = read_suspect(data)
    products = Product.objects.filter(form="deidentified").exclude(key_column="")
    if product_code:
        products = products.filter(code=product_code)
    findings = []
    for product in products:
        column = key_column or product.key_column
        if column not in table.column_names:
            continue
        consumers = dict(product.subscriptions.values_list("code", "consumer__name"))
        candidates = list(consumers)
        if not candidates:
            continue
        tolerances = {
            c["name"]: float(c["tolerance"]) for c in product.output_columns if c.get("tolerance")
        }
        try:
            suspects = watermark.trace(
                table,
                key=watermark_key(),
                candidates=candidates,
                key_column=column,
                tolerances=tolerances or None,
            )
        except watermark.WatermarkError:
            continue
        tags = {key_tag(str(v)) for v in table.column(column).to_pylist() if v not in (None, "")}
        matches = []
        for suspect in suspects:
            if suspect.p_value >= ACCUSE:
                break
            for delivery in Delivery.objects.filter(
                subscription__code=suspect.recipient, product=product
            ).exclude(watermark_id=""):
                shared = len(tags.intersection(delivery.key_tags))
                if shared:
                    matches.append((delivery, shared))
        findings.append(Finding(product, column, suspects[:10], matches[:200], consumers))
    if not findings:
        raise RuleViolation(_("文件中没有任何去标识化记录类产品的记录标识列，无法溯源。"))
    record(
        LEAK_TRACE,
        by=by,
        target_ref=("products.leak", hashlib.sha256(data).hexdigest()[:16]),
        changes={
            "file_sha256": hashlib.sha256(data).hexdigest(),
            "rows": table.num_rows,
            "results": [
                {
                    "product": f.product.code,
                    "top": f.suspects[0].recipient if f.suspects else "",
                    "p_value": f.suspects[0].p_value if f.suspects else 1.0,
                }
                for f in findings
            ],
        },
        summary=_("泄露溯源：%(n)s 行，%(k)s 个产品") % {"n": table.num_rows, "k": len(findings)},
    )
    return findings
