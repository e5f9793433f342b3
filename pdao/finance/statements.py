"""Monthly statements (对账单): one organisation's revenue lines of a month — as the operator
that earned them or as the consumer that owes them — with the totals per product, rendered to
Excel, PDF and Word from `pdao.finance.documents`. The figures are the stored revenue lines,
so a statement adds up to the ledger line by line.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from django.utils.translation import gettext as _

from pdao.accounts.models import Organisation
from pdao.core import papers
from pdao.finance import documents, money, reconcile
from pdao.finance.models import RevenueLine, RevenueMonth

SIDES = ("operator", "consumer")


@dataclasses.dataclass
class Statement:
    month: str
    side: str  # operator: revenue earned; consumer: charges owed
    organisation: Organisation
    lines: list[RevenueLine]
    computed: RevenueMonth | None

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    def by_product(self) -> list[tuple[str, str, int, int]]:
        """(product code, name, calls, amount in fen) per product, by code."""
        found: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for line in self.lines:
            key = (line.product.code, line.product.name)
            found[key][0] += line.calls
            found[key][1] += line.amount_fen
        return [(code, name, calls, fen) for (code, name), (calls, fen) in sorted(found.items())]


def statement(month: str, side: str, organisation: Organisation) -> Statement:
    if side not in SIDES:
        raise ValueError(side)
    lines = (
        RevenueLine.objects.filter(month=month, **{side: organisation})
        .select_related("product", "operator", "consumer", "subscription")
        .order_by("product__code", "consumer__name", "subscription_id", "unit_price")
    )
    return Statement(
        month, side, organisation, list(lines), RevenueMonth.objects.filter(month=month).first()
    )


def paper(found: Statement) -> papers.Paper:
    year, month = found.month.split("-")
    operator_side = found.side == "operator"
    counterpart = _("使用方") if operator_side else _("运营单位")
    title = (_("%(year)s年%(month)s月数据产品收入对账单") if operator_side
             else _("%(year)s年%(month)s月数据产品费用对账单")) % {
        "year": year, "month": int(month)
    }  # fmt: skip
    computed = (
        found.computed.computed_at.strftime("%Y-%m-%d %H:%M") if found.computed else _("尚未计算")
    )
    details = [
        (
            line.product.code,
            line.product.name,
            (line.consumer if operator_side else line.operator).name,
            str(line.subscription_id),
            line.get_source_display(),
            f"{line.unit_price.normalize():f}",
            line.calls,
            f"{line.quantity.normalize():f}",
            money.yuan(line.amount_fen),
        )
        for line in found.lines
    ]
    built = papers.Paper(
        title=title,
        facts=[
            (_("运营单位") if operator_side else _("使用方"), found.organisation.name),
            (_("统一社会信用代码"), found.organisation.credit_code),
            (_("对账月份"), found.month),
            (_("合计金额（元）"), documents.amount(found.total_fen)),
            (_("收入计算时间"), computed),
        ],
        sections=[
            papers.Section(
                _("一、按产品汇总"),
                [],
                (_("产品编号"), _("产品名称"), _("调用次数"), _("金额（元）")),
                [
                    (code, name, calls, money.yuan(fen))
                    for code, name, calls, fen in found.by_product()
                ],
                sheet=_("按产品汇总"),
            ),
            papers.Section(
                _("二、明细"),
                [_("单价为当时生效的价格方案；金额逐行四舍五入到分，合计为各行之和。")],
                (
                    _("产品编号"),
                    _("产品名称"),
                    counterpart,
                    _("订阅"),
                    _("计费来源"),
                    _("单价（元）"),
                    _("调用次数"),
                    _("计费数量"),
                    _("金额（元）"),
                ),
                details,
                sheet=_("明细"),
            ),
        ],
        footer=_("本对账单由平台根据交付计量记录生成，非手工录入。"),
    )
    if operator_side:
        found_differences = reconcile.differences(found.month, found.organisation)
        if found_differences is not None:
            built.sections.append(reconcile.section(found_differences))
    return built
