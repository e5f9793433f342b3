"""工作报告: the taskforce's monthly or quarterly report on the programme — the targets with
their forecast, the period's figures against the period before, new authorizations and
products, security incidents, typical-scenario news and exits — generated as Word and PDF with
its charts drawn as PNG (pdao.showcase.charts), kept by hash, then reviewed and filed.

A report of a period is generated again (the figures recomputed) until it is filed; a filed
report is fixed and its Word file's hash anchored.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit.actions import define
from pdao.audit.services import record
from pdao.authorization.models import Authorization, Exit
from pdao.core import papers, stored
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation, require
from pdao.ledger import services as ledger
from pdao.products.models import Product
from pdao.showcase import charts, kpis
from pdao.showcase.choices import Period, ReportStatus
from pdao.showcase.models import Nomination, WorkReport
from pdao.supervision.models import Incident

REPORT_GENERATE = define("showcase.report", gettext_lazy("生成工作报告"))
REPORT_FILE = define("showcase.report_file", gettext_lazy("审核归档工作报告"))
AREA = "workreports"
MONTH = re.compile(r"(20[2-9][0-9])-(0[1-9]|1[0-2])")  # ASCII digits, whole label only
QUARTER = re.compile(r"(20[2-9][0-9])-Q([1-4])")
FIRST_YEAR = 2024


def months_of(period: str, label: str) -> list[str]:
    """The months (YYYY-MM) of a period label: "2026-10" or "2026-Q3"; RuleViolation if bad."""
    month = MONTH.fullmatch(label) if period == Period.MONTH else None
    quarter = QUARTER.fullmatch(label) if period == Period.QUARTER else None
    found = month or quarter
    if found is None:
        raise RuleViolation(_("报告期格式：月报如 2026-10，季报如 2026-Q3。"))
    if int(found.group(1)) < FIRST_YEAR:
        raise RuleViolation(_("报告期不能早于 %(y)s 年（平台启用之年）。") % {"y": FIRST_YEAR})
    if month:
        return [label]
    year, number = int(found.group(1)), int(found.group(2))
    return [f"{year}-{n:02d}" for n in range(3 * number - 2, 3 * number + 1)]


def _bounds(months: list[str]) -> tuple[datetime, datetime]:
    return kpis.month_bounds(months[0])[0], kpis.month_bounds(months[-1])[1]


def previous(period: str, label: str) -> str:
    months = months_of(period, label)
    before = kpis.months_back(months[0], 2)[0]
    if period == Period.MONTH:
        return before
    year, number = (int(p) for p in before.split("-"))
    return f"{year}-Q{(number - 1) // 3 + 1}"


def _period_values(months: list[str]) -> dict:
    """Each figure over the period: flows (calls, incidents…) summed over its months, stocks
    (counts, rates, cumulative sums) as at its last month."""
    flows = {"calls", "revenue", "incidents", "actions"}
    out = {}
    for kpi in kpis.KPIS:
        if kpi.key in flows:
            total = None
            for month in months:
                value = kpi.compute(*kpis.month_bounds(month))
                total = (total or 0) + (value or 0)
            out[kpi.key] = total
        else:
            out[kpi.key] = kpi.compute(*kpis.month_bounds(months[-1]))
    # Consumers over the period: distinct over all its months, not the last month's.
    start, end = _bounds(months)
    out["consumers"] = kpis.consumers(start, end)
    out["in_production"] = kpis.scenarios_in_production(start, end)
    return out


def _fmt(value, unit) -> str:
    if value is None:
        return "—"
    if str(unit) == "%":
        return f"{value}"
    if str(unit) == str(_("元")):
        return f"{value:,.2f}"
    return f"{int(value):,}" if float(value).is_integer() else f"{value}"


def paper(period: str, label: str, today: date | None = None) -> papers.Paper:
    today = today or timezone.localdate()
    months = months_of(period, label)
    start, end = _bounds(months)
    before = previous(period, label)
    now_values, before_values = _period_values(months), _period_values(months_of(period, before))
    goals = kpis.progress(min(today, timezone.localdate(end - timedelta(microseconds=1))))
    trend_months = kpis.months_back(months[-1], 12)
    kept = kpis.series(trend_months)

    def trend(key):
        return [float(kept[key].get(m) or 0) for m in trend_months]

    figures_targets = [
        papers.Figure(
            charts.progress(
                [str(g["kpi"].short or g["kpi"].label) for g in goals],
                [float(g["value"]) for g in goals],
                [float(g["target"]) for g in goals],
                [float(g["forecast"] or 0) for g in goals],
                title=_("年度目标进展（截至 %(d)s）") % {"d": kpis.DEADLINE.isoformat()},
            ),
            _("图 1：实施方案年度目标的当前值、目标值与按近 6 个月趋势预测的年底值。"),
        )
    ]
    figures_use = [
        papers.Figure(
            charts.lines(
                trend_months,
                {str(_("成功调用")): trend("calls")},
                title=_("近 12 个月成功调用（次）"),
            ),
            _("图 2：每月经网关成功应答的调用与报告下载次数。"),
        )
    ]
    new_authorizations = Authorization.objects.filter(
        created_at__gte=start, created_at__lt=end
    ).select_related("operator", "application")
    new_products = Product.objects.filter(filed_at__gte=start, filed_at__lt=end).select_related(
        "operator"
    )
    incidents = Incident.objects.filter(opened_at__gte=start, opened_at__lt=end)
    confirmed = Nomination.objects.filter(
        status="confirmed", decided_at__gte=start, decided_at__lt=end
    ).select_related("scenario__authorization__application")
    exits = Exit.objects.filter(started_at__gte=start, started_at__lt=end).select_related(
        "authorization"
    )
    kind = Period(period).label
    return papers.Paper(
        title=_("公共数据授权运营工作%(k)s（%(l)s）") % {"k": kind, "l": label},
        facts=[
            (_("报告期"), months[0] if len(months) == 1 else f"{months[0]} — {months[-1]}"),
            (_("对比期"), before),
            (_("生成日期"), today.isoformat()),
        ],
        sections=[
            papers.Section(
                _("一、年度目标进展"),
                [
                    _("%(k)s：当前 %(v)s，目标 %(t)s，年底预测 %(f)s，%(s)s。")
                    % {
                        "k": g["kpi"].label,
                        "v": _fmt(g["value"], g["kpi"].unit),
                        "t": g["target"],
                        "f": _fmt(g["forecast"], g["kpi"].unit),
                        "s": _("已完成")
                        if g["met"]
                        else (
                            _("按趋势可完成") if g["on_track"] else _("按趋势难以完成，需加力推进")
                        ),
                    }
                    for g in goals
                ],
                figures=figures_targets,
            ),
            papers.Section(
                _("二、主要指标"),
                [_("流量指标为报告期合计，存量指标为报告期末数值；口径见平台“绩效指标”页。")],
                header=(_("类别"), _("指标"), _("本期"), _("上期"), _("单位")),
                rows=[
                    (
                        str(k.group),
                        str(k.label),
                        _fmt(now_values[k.key], k.unit),
                        _fmt(before_values[k.key], k.unit),
                        str(k.unit),
                    )
                    for k in kpis.KPIS
                ],
                figures=figures_use,
            ),
            papers.Section(
                _("三、新增授权"),
                [] if new_authorizations else [_("本期无新增授权。")],
                header=(_("授权编号"), _("应用场景"), _("运营单位"), _("期限"))
                if new_authorizations
                else (),
                rows=[
                    (
                        a.code,
                        a.application.scenario,
                        a.operator.name,
                        f"{a.starts_on:%Y-%m-%d} — {a.ends_on:%Y-%m-%d}",
                    )
                    for a in new_authorizations
                ],
            ),
            papers.Section(
                _("四、新增备案产品"),
                [] if new_products else [_("本期无新增备案产品。")],
                header=(_("产品编号"), _("产品名称"), _("运营单位"), _("备案编号"))
                if new_products
                else (),
                rows=[(p.code, p.name, p.operator.name, p.filing_no) for p in new_products],
            ),
            papers.Section(
                _("五、安全事件"),
                [] if incidents else [_("本期无安全事件。")],
                header=(_("事件编号"), _("事件名称"), _("级别"), _("状态")) if incidents else (),
                rows=[
                    (i.code, i.title, i.get_severity_display(), i.get_status_display())
                    for i in incidents
                ],
            ),
            papers.Section(
                _("六、典型场景与授权退出"),
                [
                    _("本期认定市级典型场景：%(s)s。")
                    % {
                        "s": "、".join(n.scenario.name for n in confirmed) or _("无"),
                    },
                    _("本期启动授权退出：%(s)s。")
                    % {
                        "s": "、".join(
                            f"{e.authorization.code}（{e.get_cause_display()}）" for e in exits
                        )
                        or _("无"),
                    },
                ],
            ),
        ],
        footer=_("本报告由公共数据授权运营平台根据平台记录生成，经工作专班审核后归档。"),
    )


@transaction.atomic
def generate(*, by, period: str, label: str) -> WorkReport:
    require(by, Perm.SHOWCASE_MANAGE)
    label = label or ""
    months = months_of(period, label)
    today = timezone.localdate()
    if months[0] > kpis.month_of(today):
        raise RuleViolation(_("报告期尚未开始。"))
    report = WorkReport.objects.select_for_update().filter(period=period, label=label).first()
    if report is not None and report.status == ReportStatus.FILED:
        raise RuleViolation(_("该期报告已归档，不能重新生成。"))
    built = paper(period, label, today)
    word, pdf = papers.docx(built), papers.pdf(built)
    values = {
        "docx_sha256": stored.store(AREA, word, "docx"),
        "pdf_sha256": stored.store(AREA, pdf, "pdf"),
        "generated_by": by,
        "generated_at": timezone.now(),
    }
    if report is None:
        report = WorkReport.objects.create(period=period, label=label, **values)
    else:
        for name, value in values.items():
            setattr(report, name, value)
        report.save()
    record(
        REPORT_GENERATE,
        by=by,
        target=report,
        changes={"docx": report.docx_sha256, "pdf": report.pdf_sha256},
        summary=_("生成工作报告：%(p)s %(l)s") % {"p": report.get_period_display(), "l": label},
    )
    return report


@transaction.atomic
def file(report: WorkReport, *, by, note: str = "") -> WorkReport:
    require(by, Perm.SHOWCASE_MANAGE)
    report = WorkReport.objects.select_for_update().get(pk=report.pk)
    if report.status == ReportStatus.FILED:
        raise RuleViolation(_("该期报告已归档。"))
    report.status = ReportStatus.FILED
    report.review_note = (note or "").strip()[:2000]
    report.filed_by, report.filed_at = by, timezone.now()
    report.save()
    data = stored.read(AREA, report.docx_sha256, "docx") or b""
    ledger.anchor(
        "showcase.report_file",
        content_hash=hashlib.sha256(data).hexdigest(),
        by=by,
        target=report,
    )
    record(
        REPORT_FILE,
        by=by,
        target=report,
        changes={"note": report.review_note},
        summary=_("审核归档工作报告：%(l)s") % {"l": report.label},
    )
    return report


def report_bytes(report: WorkReport, fmt: str) -> bytes | None:
    digest = report.docx_sha256 if fmt == "docx" else report.pdf_sha256
    return stored.read(AREA, digest, fmt)
