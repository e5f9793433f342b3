"""对账: an operator's declared revenue of a month (its own billing, uploaded as Excel or CSV)
reconciled with the revenue ledger, product × consumer, line by line.

The file is inspected against the "statement" limits and parsed in the sandbox (as every
uploaded workbook is: `pdao.core.files`, `pdao.core.sandbox`); a row that cannot be read is
reported with its row and column, and nothing is saved. The file's rows are amounts the
operator typed: they are compared with the ledger, never used to compute anything.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import logging
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.audit import services as audit
from pdao.core import files, papers, sandbox
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation, require
from pdao.finance import actions, documents, money
from pdao.finance.models import Declaration, DeclaredLine, RevenueLine, RevenueMonth

logger = logging.getLogger(__name__)
HEADER = ("产品编号", "使用方统一社会信用代码", "金额（元）")


@dataclasses.dataclass(frozen=True)
class Problem:
    row: int
    column: str
    text: str

    def __str__(self) -> str:
        if self.row and self.column:
            return _("第 %(row)s 行「%(column)s」%(text)s") % {
                "row": self.row,
                "column": self.column,
                "text": self.text,
            }
        if self.row:
            return _("第 %(row)s 行：%(text)s") % {"row": self.row, "text": self.text}
        return self.text


class Unreadable(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _amount(value) -> int:
    text = repr(value) if isinstance(value, float) else str(value)
    text = text.strip().replace(",", "").replace("，", "")
    if not text.isascii():  # Decimal reads full-width and other scripts' digits too
        raise ValueError(_("不是有效的金额"))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("不是有效的金额")) from None
    if not number.is_finite() or number < 0 or number.as_tuple().exponent < -2:
        raise ValueError(_("应为不小于 0、最多两位小数的金额"))
    try:
        return money.fen(number)
    except money.MoneyError:
        raise ValueError(_("金额过大")) from None


def _rows(path: Path) -> list[tuple]:
    if path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return [tuple(r) for r in csv.reader(io.StringIO(raw.decode(encoding)))]
            except UnicodeDecodeError:
                continue
        raise Unreadable([Problem(0, "", _("文件编码无法识别（应为 UTF-8 或 GB18030）"))])
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise Unreadable([Problem(0, "", _("文件不是可读取的 Excel 工作簿"))]) from None
    rows = [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def parse(path: Path) -> list[tuple[int, str, str, int]]:
    """(row, product code, consumer credit code, fen) per filled row; Unreadable otherwise.
    Run in the sandbox: pure, no database."""
    rows = _rows(path)
    if not rows:
        raise Unreadable([Problem(0, "", _("文件为空"))])
    header = ["" if v is None else str(v).strip() for v in rows[0]]
    missing = [h for h in HEADER if h not in header]
    if missing:
        raise Unreadable([Problem(1, h, _("缺少该列")) for h in missing])
    index = [header.index(h) for h in HEADER]
    parsed, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        cells = [row[i] if i < len(row) else None for i in index]
        if all(c in (None, "") for c in cells):
            continue
        product, consumer = ("" if c is None else str(c).strip() for c in cells[:2])
        amount = cells[2]
        if not product:
            problems.append(Problem(number, HEADER[0], _("必填")))
        if len(consumer) != 18:
            problems.append(Problem(number, HEADER[1], _("应为 18 位统一社会信用代码")))
        try:
            fen = _amount(amount if amount is not None else "")
        except ValueError as error:
            problems.append(Problem(number, HEADER[2], str(error)))
            continue
        parsed.append((number, product[:30], consumer.upper(), fen))
    if problems:
        raise Unreadable(problems[:50])
    return parsed


def read(path: Path) -> list[tuple[int, str, str, int]]:
    """`parse` after the file is inspected against the limits, in a limited child process."""
    try:
        files.inspect(path, files.limits("statement"))
    except files.Refused as refusal:
        raise Unreadable([Problem(0, "", refusal.message)]) from None
    try:
        return sandbox.run(parse, path, limits=sandbox.limits("statement"), passes=(Unreadable,))
    except sandbox.LimitExceeded as exceeded:
        raise Unreadable([Problem(0, "", str(exceeded))]) from None
    except sandbox.Failed as failed:
        logger.warning("declared revenue unreadable: %s", failed.kind)
        raise Unreadable([Problem(0, "", _("文件不是可读取的 Excel 工作簿或 CSV"))]) from None


def declare(*, by, month: str, path: Path, filename: str) -> Declaration:
    """The operator's declared revenue of `month`, replacing an earlier upload of it."""
    require(by, Perm.FINANCE_DECLARE)
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise RuleViolation(_("请填写有效的月份（年-月）。")) from None
    if first > timezone.localdate():
        raise RuleViolation(_("该月尚未开始。"))
    if not RevenueMonth.objects.filter(month=month).exists():
        raise RuleViolation(_("该月收入尚未计算，暂无可核对的台账。"))
    lines = read(Path(path))  # read before the transaction: parsing holds no lock
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    with transaction.atomic():
        operator = by.organisation
        Declaration.objects.filter(month=month, operator=operator).delete()
        made = Declaration.objects.create(
            month=month, operator=operator, filename=filename[:200], sha256=digest,
            total_fen=sum(fen for *_rest, fen in lines), uploaded_by=by,
        )  # fmt: skip
        DeclaredLine.objects.bulk_create(
            DeclaredLine(declaration=made, row=row, product_code=product,
                         consumer_credit_code=consumer, amount_fen=fen)
            for row, product, consumer, fen in lines
        )  # fmt: skip
        audit.record(
            actions.REVENUE_DECLARE,
            by=by,
            target=made,
            changes={"sha256": digest, "lines": len(lines)},
            summary=_("上传 %(month)s 申报收入：%(n)s 行，合计 %(total)s 元")
            % {"month": month, "n": len(lines), "total": documents.amount(made.total_fen)},
        )
    return made


@dataclasses.dataclass(frozen=True)
class Difference:
    product_code: str
    product_name: str
    consumer_credit_code: str
    consumer_name: str
    ledger_fen: int
    declared_fen: int

    @property
    def difference_fen(self) -> int:
        return self.declared_fen - self.ledger_fen

    @property
    def verdict(self) -> str:
        if self.ledger_fen == self.declared_fen:
            return _("一致")
        if not self.declared_fen:
            return _("仅平台台账有")
        if not self.ledger_fen:
            return _("仅申报有")
        return _("金额不一致")


def differences(month: str, operator) -> list[Difference] | None:
    """Every product × consumer of the month in the ledger or the declaration, with both
    amounts; None when nothing was declared for the month."""
    declaration = Declaration.objects.filter(month=month, operator=operator).first()
    if declaration is None:
        return None
    ledger: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for line in RevenueLine.objects.filter(month=month, operator=operator).select_related(
        "product", "consumer"
    ):
        key = (line.product.code, line.consumer.credit_code)
        ledger[key] += line.amount_fen
        names[key] = (line.product.name, line.consumer.name)
    declared: dict[tuple[str, str], int] = defaultdict(int)
    for line in declaration.lines.all():
        declared[(line.product_code, line.consumer_credit_code)] += line.amount_fen
    return [
        Difference(key[0], names.get(key, ("", ""))[0], key[1], names.get(key, ("", ""))[1],
                   ledger.get(key, 0), declared.get(key, 0))
        for key in sorted(set(ledger) | set(declared))
    ]  # fmt: skip


def section(found: list[Difference]) -> papers.Section:
    """The reconciliation as a section of the operator's statement."""
    unequal = [d for d in found if d.difference_fen]
    summary = (
        _("申报收入与平台台账逐行一致。")
        if not unequal
        else _("有 %(n)s 行不一致（差额 = 申报 − 台账），请核实后更正申报或向数据局说明。")
        % {"n": len(unequal)}
    )
    return papers.Section(
        _("三、与申报收入核对"),
        [summary],
        (_("产品编号"), _("产品名称"), _("使用方统一社会信用代码"), _("使用方"),
         _("台账金额（元）"), _("申报金额（元）"), _("差额（元）"), _("结论")),
        [
            (d.product_code, d.product_name, d.consumer_credit_code, d.consumer_name,
             money.yuan(d.ledger_fen), money.yuan(d.declared_fen), money.yuan(d.difference_fen),
             d.verdict)
            for d in found
        ],
        sheet=_("核对"),
    )  # fmt: skip
