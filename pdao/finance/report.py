"""The yearly price and revenue report due by 31 March (发改价格〔2025〕65号 §五): for each
operator and for the programme, the previous year's operations, authorized-operation costs,
actual revenue and profit, sales and revenue per product, deviation from the MAR and price
adjustments — generated from the records as Word and Excel, reviewed and filed by the bureau,
the files' SHA-256 anchored on the ledger.

The figures of a calendar year are its revenue lines (months YYYY-01 … YYYY-12) and the
remittances of its quarters; costs, profit and deviation are those of the operating years that
ended in it (a year's cost is known only once its survey concluded, its deviation once closed).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.audit import services as audit
from pdao.audit.models import AuditEvent
from pdao.core import papers
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation, require
from pdao.finance import actions, documents, money
from pdao.finance.choices import NATIONAL_NOTICE, AllowanceStatus, RemittanceStatus
from pdao.finance.models import Allowance, AnnualReport, Remittance, RevenueLine, YearEnd
from pdao.ledger.services import Fact, anchor_many

# Price changes the report lists: caps set by the bureau, plans published by operators.
PRICE_ACTIONS = ("product.price_cap", "product.plan")


def due_on(year: int) -> date:
    """The report on `year` is due by 31 March of the year after."""
    return date(year + 1, 3, 31)


def files_dir() -> Path:
    return Path(settings.DATA_DIR) / "finance"


def path_of(digest: str, fmt: str) -> Path:
    return files_dir() / f"{digest}.{fmt}"


def _store(data: bytes, fmt: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(digest, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = target.with_suffix(f".{fmt}.part")
        partial.write_bytes(data)
        partial.replace(target)
    return digest


def paper(year: int) -> papers.Paper:
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    lines = RevenueLine.objects.filter(month__in=months)
    per_operator = (
        lines.values("operator", "operator__name")
        .annotate(
            total=Sum("amount_fen"),
            calls=Sum("calls"),
            consumers=Count("consumer", distinct=True),
            products=Count("product", distinct=True),
        )
        .order_by("operator__name")
    )
    remitted = defaultdict(lambda: [0, 0])
    for r in Remittance.objects.filter(year=year):
        remitted[r.operator_id][0] += r.amount_fen
        if r.status == RemittanceStatus.CONFIRMED:
            remitted[r.operator_id][1] += r.amount_fen
    total = sum(r["total"] for r in per_operator)
    calls = sum(r["calls"] for r in per_operator)
    consumers = lines.values("consumer").distinct().count()
    closed = YearEnd.objects.filter(allowance__ends_on__year=year).select_related(
        "allowance__period__operator"
    )
    open_years = Allowance.objects.filter(
        status=AllowanceStatus.APPROVED, ends_on__year=year, year_end__isnull=True
    ).select_related("period__operator")
    per_product = (
        lines.values("product__code", "product__name", "operator__name")
        .annotate(
            total=Sum("amount_fen"), calls=Sum("calls"), consumers=Count("consumer", distinct=True)
        )
        .order_by("operator__name", "product__code")
    )
    first = timezone.make_aware(datetime.combine(date(year, 1, 1), time.min))
    last = timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min))
    changes = AuditEvent.objects.filter(
        action__in=PRICE_ACTIONS, occurred_at__gte=first, occurred_at__lt=last
    ).order_by("occurred_at")
    answers = YearEnd.objects.filter(responded_at__gte=first, responded_at__lt=last).select_related(
        "allowance__period__operator"
    )
    return papers.Paper(
        title=_("%(year)s 年度公共数据授权运营价格与收益情况报告") % {"year": year},
        facts=[
            (_("报告年度"), str(year)),
            (_("报送期限"), due_on(year).isoformat()),
            (_("依据"), _("%(notice)s 第五条") % {"notice": NATIONAL_NOTICE}),
            (_("生成时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        ],
        sections=[
            papers.Section(
                _("一、总体情况"),
                [
                    _(
                        "本年度共有 %(operators)s 家运营单位取得产品收入，收费调用 %(calls)s 次，"
                        "服务数据使用方 %(consumers)s 家，收入合计 %(total)s 元；"
                        "应上缴收益 %(due)s 元，财政已确认收缴 %(confirmed)s 元。"
                    )
                    % {
                        "operators": len(per_operator),
                        "calls": f"{calls:,}",
                        "consumers": consumers,
                        "total": documents.amount(total),
                        "due": documents.amount(sum(v[0] for v in remitted.values())),
                        "confirmed": documents.amount(sum(v[1] for v in remitted.values())),
                    }
                ],
                (
                    _("运营单位"),
                    _("收费产品数"),
                    _("数据使用方数"),
                    _("调用次数"),
                    _("收入（元）"),
                    _("应缴收益（元）"),
                    _("已确认收缴（元）"),
                ),
                [
                    (
                        r["operator__name"],
                        r["products"],
                        r["consumers"],
                        r["calls"],
                        money.yuan(r["total"]),
                        money.yuan(remitted[r["operator"]][0]),
                        money.yuan(remitted[r["operator"]][1]),
                    )
                    for r in per_operator
                ],
                sheet=_("运营单位"),
            ),
            papers.Section(
                _("二、经营成本、利润与最高准许收入"),
                [
                    _(
                        "按本年度内结束的运营年度列示：经营成本为成本调查核定数，利润 = 实际收入 − "
                        "经营成本 − 税金，偏差率 = |实际收入 − 最高准许收入| ÷ 最高准许收入。"
                    )
                ],
                (
                    _("运营单位"),
                    _("定价周期"),
                    _("运营年度"),
                    _("经营成本（元）"),
                    _("税金（元）"),
                    _("最高准许收入（元）"),
                    _("实际收入（元）"),
                    _("利润（元）"),
                    _("偏差率"),
                    _("调整要求"),
                    _("超收结转（元）"),
                ),
                [
                    (
                        c.allowance.period.operator.name,
                        c.allowance.period.code,
                        f"{c.allowance.starts_on} — {c.allowance.ends_on}",
                        money.yuan(c.allowance.cost_fen),
                        money.yuan(c.allowance.tax_fen),
                        money.yuan(c.allowance.total_fen),
                        money.yuan(c.actual_fen),
                        money.yuan(c.actual_fen - c.allowance.cost_fen - c.allowance.tax_fen),
                        f"{(c.deviation * 100).quantize(money.FEN)}%",
                        c.get_adjustment_display(),
                        money.yuan(c.carried_fen),
                    )
                    for c in closed
                ]
                + [
                    (
                        a.period.operator.name,
                        a.period.code,
                        f"{a.starts_on} — {a.ends_on}",
                        money.yuan(a.cost_fen),
                        money.yuan(a.tax_fen),
                        money.yuan(a.total_fen),
                        _("尚未清算"),
                        "—",
                        "—",
                        "—",
                        "—",
                    )
                    for a in open_years
                ],
                sheet=_("成本与最高准许收入"),
            ),
            papers.Section(
                _("三、分产品销售与收入"),
                [],
                (
                    _("产品编号"),
                    _("产品名称"),
                    _("运营单位"),
                    _("数据使用方数"),
                    _("调用次数"),
                    _("收入（元）"),
                ),
                [
                    (
                        p["product__code"],
                        p["product__name"],
                        p["operator__name"],
                        p["consumers"],
                        p["calls"],
                        money.yuan(p["total"]),
                    )
                    for p in per_product
                ],
                sheet=_("分产品"),
            ),
            papers.Section(
                _("四、价格调整"),
                [_("本年度设定或调整的上限收费标准、发布的价格方案，以及年度偏差后的调整反馈。")],
                (_("日期"), _("单位"), _("事项")),
                [
                    (
                        timezone.localtime(e.occurred_at).strftime("%Y-%m-%d"),
                        e.organisation_name,
                        e.summary,
                    )
                    for e in changes
                ]
                + [
                    (
                        timezone.localtime(a.responded_at).strftime("%Y-%m-%d"),
                        a.allowance.period.operator.name,
                        f"{a.get_adjustment_display()}：{a.response}",
                    )
                    for a in answers
                ],
                sheet=_("价格调整"),
            ),
            papers.Section(
                _("五、说明"),
                [
                    _(
                        "本报告由平台根据交付计量记录、成本调查、批复和缴款记录生成，非手工填报。"
                        "金额以分为单位逐项四舍五入，合计为各项之和；manage.py finance_verify "
                        "可据原始记录复算每一项。"
                    )
                ],
            ),
        ],
    )


@transaction.atomic
def generate(*, by, year: int) -> AnnualReport:
    """Generate (or generate again, while a draft) the report on a year that is over."""
    require(by, Perm.FINANCE_REGULATE)
    if year >= timezone.localdate().year:
        raise RuleViolation(_("%(year)s 年度尚未结束。") % {"year": year})
    found = AnnualReport.objects.select_for_update().filter(year=year).first()
    if found is not None and found.status == AnnualReport.Status.FILED:
        raise RuleViolation(_("%(year)s 年度报告已报送，不能重新生成。") % {"year": year})
    content = paper(year)
    docx, xlsx = _store(papers.docx(content), "docx"), _store(papers.xlsx(content), "xlsx")
    report, _created = AnnualReport.objects.update_or_create(
        year=year,
        defaults={
            "docx_sha256": docx, "xlsx_sha256": xlsx, "generated_by": by,
            "generated_at": timezone.now(),
        },
    )  # fmt: skip
    audit.record(
        actions.REPORT_GENERATE,
        by=by,
        target=report,
        changes={"docx_sha256": docx, "xlsx_sha256": xlsx},
        summary=_("生成 %(year)s 年度价格与收益报告") % {"year": year},
    )
    return report


@transaction.atomic
def file_report(*, by, report: AnnualReport, note: str = "") -> AnnualReport:
    """The bureau has reviewed the generated files and files them: fixed, and anchored."""
    require(by, Perm.FINANCE_REGULATE)
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    if report.status != AnnualReport.Status.DRAFT:
        raise RuleViolation(_("该年度报告已报送。"))
    for digest, fmt in ((report.docx_sha256, "docx"), (report.xlsx_sha256, "xlsx")):
        held = path_of(digest, fmt)
        if not held.exists() or hashlib.sha256(held.read_bytes()).hexdigest() != digest:
            raise RuleViolation(_("报告文件缺失或已被改动，请重新生成。"))
    report.status, report.review_note = AnnualReport.Status.FILED, note.strip()[:500]
    report.filed_by, report.filed_at = by, timezone.now()
    report.save(update_fields=["status", "review_note", "filed_by", "filed_at"])
    audit.record(
        actions.REPORT_FILE,
        by=by,
        target=report,
        summary=_("报送 %(year)s 年度价格与收益报告") % {"year": report.year},
    )
    anchor_many(
        [
            Fact(actions.REPORT_FILE, report.docx_sha256, report, {"format": "docx"}),
            Fact(actions.REPORT_FILE, report.xlsx_sha256, report, {"format": "xlsx"}),
        ],
        by=by,
    )
    return report
