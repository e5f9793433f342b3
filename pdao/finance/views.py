"""价格与收益分配 pages: the price mechanism (limits, periods, cost surveys, MAR, year ends), the
revenue ledger and its statements, remittances and budget allocations.

The bureau, the finance bureau and the taskforce see every operator (`FINANCE_VIEW`); an
operator sees its own records, a consumer its own statements — anything else is 404, as if it
did not exist. Each form posts to one service verb (`pdao.core.posts.perform`).
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.accounts.models import Organisation
from pdao.authorization.services.qualifications import download_name
from pdao.core import papers
from pdao.core.access import requires, requires_login
from pdao.core.downloads import attach
from pdao.core.permissions import Perm
from pdao.core.posts import perform
from pdao.core.rules import RuleViolation
from pdao.finance import (
    dashboard,
    documents,
    reconcile,
    remittances,
    report,
    revenue,
    services,
    statements,
)
from pdao.finance.choices import (
    BudgetCategory,
    CostCategory,
    Limit,
    RemittanceStatus,
    Standard,
    SurveyStatus,
)
from pdao.finance.models import (
    Allowance,
    AnnualReport,
    BondYield,
    BudgetAllocation,
    CostEvidence,
    CostItem,
    CostSurvey,
    Declaration,
    LimitValue,
    PayeeAccount,
    PricingPeriod,
    Remittance,
    RevenueLine,
    RevenueMonth,
    YearEnd,
)

POST = ("POST",)


def _sees_all(user) -> bool:
    return user.has_perm(Perm.FINANCE_VIEW)


def _visible(user, organisation_id: int) -> None:
    """404 unless `user` sees every operator's figures or the organisation is their own."""
    if not (_sees_all(user) or user.organisation_id == organisation_id):
        raise Http404


def _day(request, name: str) -> date:
    try:
        return date.fromisoformat(request.POST.get(name, "").strip())
    except ValueError:
        raise RuleViolation(_("请填写有效的日期（年-月-日）。")) from None


def _number(request, name: str, label: str) -> int:
    try:
        return int(request.POST.get(name, "").strip())
    except ValueError:
        raise RuleViolation(_("%(field)s应为整数。") % {"field": label}) from None


def _month(text: str) -> str:
    try:
        date.fromisoformat(f"{text}-01")
    except ValueError:
        raise Http404 from None
    return text


# --- Overview -------------------------------------------------------------------------------


@requires(Perm.FINANCE_VIEW)
def overview(request):
    return render(request, "finance/overview.html", dashboard.figures())


@requires(Perm.FINANCE_DECLARE)
def mine(request):
    organisation = request.user.organisation
    months = (
        RevenueLine.objects.filter(operator=organisation)
        .values("month")
        .annotate(total=Sum("amount_fen"), lines=Count("pk"))
        .order_by("-month")
    )
    return render(
        request,
        "finance/mine.html",
        {
            "organisation": organisation,
            "periods": PricingPeriod.objects.filter(operator=organisation),
            "months": [m | {"yuan": documents.amount(m["total"])} for m in months],
            "remittances": Remittance.objects.filter(operator=organisation),
            "today": timezone.localdate(),
        },
    )


@requires_login()
def statement_list(request):
    """The signed-in organisation's statements, as operator and as consumer."""
    organisation = request.user.organisation
    rows = []
    for side in statements.SIDES:
        months = (
            RevenueLine.objects.filter(**{side: organisation})
            .values("month")
            .annotate(total=Sum("amount_fen"), lines=Count("pk"))
            .order_by("-month")
        )
        rows += [m | {"side": side, "yuan": documents.amount(m["total"])} for m in months]
    return render(
        request, "finance/statement_list.html", {"rows": rows, "organisation": organisation}
    )


@requires_login()
def statement(request, month: str, side: str, organisation: int, fmt: str):
    month = _month(month)
    if side not in statements.SIDES or fmt not in papers.TYPES:
        raise Http404
    _visible(request.user, organisation)
    found = statements.statement(month, side, get_object_or_404(Organisation, pk=organisation))
    response = HttpResponse(
        papers.render(statements.paper(found), fmt), content_type=papers.TYPES[fmt]
    )
    name = f"对账单-{found.organisation.name}-{month}.{fmt}"
    return attach(response, name, fallback=f"statement-{month}.{fmt}")


# --- Limits and bond yields -----------------------------------------------------------------


@requires(Perm.FINANCE_VIEW)
def limits(request):
    today = timezone.localdate()
    return render(
        request,
        "finance/limits.html",
        {
            "in_force": [(limit, services.limit_in_force(limit, today)) for limit in Limit],
            "values": LimitValue.objects.select_related("created_by"),
            "yields": BondYield.objects.all(),
            "limit_choices": Limit.choices,
        },
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def limit_set(request):
    return perform(
        request,
        lambda: services.set_limit(
            by=request.user,
            limit=_choice(request.POST.get("limit", ""), Limit),
            value=request.POST.get("value", ""),
            effective_from=_day(request, "effective_from"),
            document=request.POST.get("document", ""),
        ),
        _("已设定参数。"),
        "finance:limits",
    )


def _choice(value: str, choices):
    if value not in choices.values:
        raise RuleViolation(_("请选择有效的选项。"))
    return choices(value)


@requires(Perm.FINANCE_REGULATE, methods=POST)
def bond_yield_record(request):
    return perform(
        request,
        lambda: services.record_bond_yield(
            by=request.user,
            year=_number(request, "year", _("年度")),
            percent=request.POST.get("percent", ""),
            source=request.POST.get("source", ""),
        ),
        _("已录入国债平均收益率。"),
        "finance:limits",
    )


# --- Pricing periods, cost surveys, MAR ------------------------------------------------------


@requires(Perm.FINANCE_VIEW)
def period_list(request):
    periods = PricingPeriod.objects.select_related("operator").prefetch_related("allowances")
    operators = (
        Organisation.objects.filter(authorizations__isnull=False).distinct().order_by("name")
    )
    return render(
        request,
        "finance/period_list.html",
        {"periods": periods, "operators": operators, "standards": Standard.choices},
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def period_open(request):
    def action():
        operator = Organisation.objects.filter(pk=request.POST.get("operator") or 0).first()
        if operator is None:
            raise RuleViolation(_("请选择运营单位。"))
        return services.open_period(
            by=request.user,
            operator=operator,
            starts_on=_day(request, "starts_on"),
            ends_on=_day(request, "ends_on"),
            standard=_choice(request.POST.get("standard", ""), Standard),
        )

    return perform(
        request,
        action,
        lambda period: _("已设立定价周期 %(code)s。") % {"code": period.code},
        lambda period: ("finance:period_detail", period.pk),
        back="finance:period_list",
    )


@requires_login()
def period_detail(request, pk: int):
    period = get_object_or_404(PricingPeriod.objects.select_related("operator"), pk=pk)
    _visible(request.user, period.operator_id)
    surveys = period.surveys.prefetch_related("items__evidence")
    allowances = {a.year_index: a for a in period.allowances.select_related("bond_yield")}
    years = []
    for index, (starts_on, ends_on) in enumerate(period.years(), start=1):
        allowance = allowances.get(index)
        closed = getattr(allowance, "year_end", None) if allowance else None
        actual = None
        if allowance and not closed:
            months = services.months_of(starts_on, ends_on)
            actual = (
                RevenueLine.objects.filter(operator=period.operator, month__in=months).aggregate(
                    total=Sum("amount_fen")
                )["total"]
                or 0
            )
        years.append(
            {
                "index": index,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "allowance": allowance,
                "closed": closed,
                "actual": actual,
                "over": ends_on < timezone.localdate(),
            }
        )
    return render(
        request,
        "finance/period_detail.html",
        {
            "period": period,
            "surveys": surveys,
            "years": years,
            "categories": CostCategory.choices,
            "S": SurveyStatus,
            "own": request.user.organisation_id == period.operator_id,
            "concluded": [s for s in surveys if s.status == SurveyStatus.CONCLUDED],
            "this_year": timezone.localdate().year,
        },
    )


def _survey(pk: int) -> CostSurvey:
    return get_object_or_404(CostSurvey.objects.select_related("period"), pk=pk)


def _to_period(survey_or_period):
    period_id = getattr(survey_or_period, "period_id", None) or survey_or_period.pk
    return ("finance:period_detail", period_id)


@requires(Perm.FINANCE_REGULATE, methods=POST)
def survey_start(request, pk: int):
    period = get_object_or_404(PricingPeriod, pk=pk)
    return perform(
        request,
        lambda: services.start_survey(
            by=request.user, period=period, year=_number(request, "year", _("调查年度"))
        ),
        _("已发起成本调查，运营单位可以填报。"),
        ("finance:period_detail", pk),
    )


@requires(Perm.FINANCE_DECLARE, methods=POST)
def cost_declare(request, pk: int):
    survey = _survey(pk)
    _visible(request.user, survey.period.operator_id)
    return perform(
        request,
        lambda: services.declare_cost(
            by=request.user,
            survey=survey,
            category=_choice(request.POST.get("category", ""), CostCategory),
            description=request.POST.get("description", ""),
            amount=request.POST.get("amount", ""),
            industry_percent=request.POST.get("industry_percent", "100"),
        ),
        _("已申报成本项目。"),
        _to_period(survey),
    )


@requires(Perm.FINANCE_DECLARE, methods=POST)
def survey_submit(request, pk: int):
    survey = _survey(pk)
    _visible(request.user, survey.period.operator_id)
    return perform(
        request,
        lambda: services.submit_survey(by=request.user, survey=survey),
        _("已提交成本调查。"),
        _to_period(survey),
    )


@requires(Perm.FINANCE_DECLARE, methods=POST)
def evidence_upload(request, pk: int):
    item = get_object_or_404(CostItem.objects.select_related("survey__period"), pk=pk)
    _visible(request.user, item.survey.period.operator_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择要上传的文件。"))
        return redirect(*_to_period(item.survey))
    return perform(
        request,
        lambda: services.attach_evidence(by=request.user, item=item, upload=upload),
        _("已上传证明材料。"),
        _to_period(item.survey),
    )


@requires_login()
def evidence_download(request, pk: int):
    evidence = get_object_or_404(CostEvidence.objects.select_related("item__survey__period"), pk=pk)
    _visible(request.user, evidence.item.survey.period.operator_id)
    path = services.evidence_dir() / evidence.stored
    if not path.exists():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=download_name(evidence),
        content_type=evidence.content_type,
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def cost_adjust(request, pk: int):
    item = get_object_or_404(CostItem.objects.select_related("survey"), pk=pk)
    return perform(
        request,
        lambda: services.adjust_cost(
            by=request.user,
            item=item,
            amount=request.POST.get("amount", ""),
            note=request.POST.get("note", ""),
        ),
        _("已核定该成本项目。"),
        _to_period(item.survey),
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def survey_conclude(request, pk: int):
    survey = _survey(pk)
    return perform(
        request,
        lambda: services.conclude_survey(by=request.user, survey=survey),
        _("已核定经营成本。"),
        _to_period(survey),
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def allowance_propose(request, pk: int):
    period = get_object_or_404(PricingPeriod, pk=pk)

    def action():
        survey = CostSurvey.objects.filter(period=period, pk=request.POST.get("survey") or 0)
        if not survey.exists():
            raise RuleViolation(_("请选择已核定的成本调查。"))
        return services.propose_allowance(
            by=request.user,
            survey=survey.get(),
            year_index=_number(request, "year_index", _("运营年度")),
            profit_rate=request.POST.get("profit_rate", ""),
            tax=request.POST.get("tax", ""),
        )

    return perform(
        request, action, _("已测算最高准许收入，待批复。"), ("finance:period_detail", pk)
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def allowance_approve(request, pk: int):
    allowance = get_object_or_404(Allowance, pk=pk)
    return perform(
        request,
        lambda: services.approve_allowance(
            by=request.user, allowance=allowance, document=request.POST.get("document", "")
        ),
        _("已登记批复。"),
        ("finance:period_detail", allowance.period_id),
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def year_close(request, pk: int):
    allowance = get_object_or_404(Allowance, pk=pk)
    return perform(
        request,
        lambda: services.close_year(
            by=request.user,
            allowance=allowance,
            carry_years=_number(request, "carry_years", _("超收分摊年数")),
        ),
        _("已完成年度清算。"),
        ("finance:period_detail", allowance.period_id),
    )


def _respond(request, pk: int):
    year_end = get_object_or_404(YearEnd.objects.select_related("allowance__period"), pk=pk)
    _visible(request.user, year_end.allowance.period.operator_id)
    return perform(
        request,
        lambda: services.record_adjustment(
            by=request.user, year_end=year_end, response=request.POST.get("response", "")
        ),
        _("已反馈调整情况。"),
        ("finance:period_detail", year_end.allowance.period_id),
    )


@requires(Perm.FINANCE_DECLARE, methods=POST)
def year_respond_prices(request, pk: int):
    """The operator's answer to a year within the threshold: its adjusted actual prices."""
    return _respond(request, pk)


@requires(Perm.FINANCE_REGULATE, methods=POST)
def year_respond_caps(request, pk: int):
    """The bureau's answer to a year beyond the threshold: its adjusted caps."""
    return _respond(request, pk)


# --- Revenue ledger -------------------------------------------------------------------------


@requires(Perm.FINANCE_VIEW)
def revenue_list(request):
    months = RevenueMonth.objects.all()[:36]
    by_operator = (
        RevenueLine.objects.values("month", "operator", "operator__name")
        .annotate(total=Sum("amount_fen"), calls=Sum("calls"), lines=Count("pk"))
        .order_by("-month", "operator__name")
    )
    month = request.GET.get("month", "")
    if month:
        by_operator = by_operator.filter(month=month)
    operator = request.GET.get("operator", "")
    if operator.isdigit():
        by_operator = by_operator.filter(operator=int(operator))
    consumers = (
        RevenueLine.objects.filter(month=month)
        .values("consumer", "consumer__name")
        .annotate(total=Sum("amount_fen"))
        .order_by("consumer__name")
        if month
        else []
    )
    last = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return render(
        request,
        "finance/revenue_list.html",
        {
            "months": [(m, documents.amount(m.total_fen)) for m in months],
            "rows": [r | {"yuan": documents.amount(r["total"])} for r in by_operator[:200]],
            "consumers": [c | {"yuan": documents.amount(c["total"])} for c in consumers],
            "month": month,
            "last_month": last,
        },
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def revenue_compute(request):
    text = request.POST.get("month", "").strip()

    def action():
        try:
            date.fromisoformat(f"{text}-01")
        except ValueError:
            raise RuleViolation(_("请填写有效的月份（年-月）。")) from None
        if f"{text}-01" > timezone.localdate().isoformat():
            raise RuleViolation(_("该月尚未开始。"))
        return revenue.compute_month(text, by=request.user)

    return perform(
        request,
        action,
        lambda lines: _("已计算 %(month)s 收入明细 %(n)s 条。") % {"month": text, "n": len(lines)},
        "finance:revenue_list",
    )


# --- Remittances ----------------------------------------------------------------------------


@requires(Perm.FINANCE_VIEW)
def remittance_list(request):
    today = timezone.localdate()
    rows = Remittance.objects.select_related("operator", "authorization")
    status = request.GET.get("status", "")
    if status == "overdue":
        rows = rows.filter(status=RemittanceStatus.NOTIFIED, due_on__lt=today)
    elif status in RemittanceStatus.values:
        rows = rows.filter(status=status)
    year = request.GET.get("year", "")
    if year.isdigit():
        rows = rows.filter(year=int(year))
    totals = Remittance.objects.aggregate(
        due=Sum("amount_fen", filter=~Q(status=RemittanceStatus.CONFIRMED)),
        confirmed=Sum("amount_fen", filter=Q(status=RemittanceStatus.CONFIRMED)),
    )
    previous = _previous_quarter(today)
    return render(
        request,
        "finance/remittance_list.html",
        {
            "rows": rows,
            "today": today,
            "status": status,
            "statuses": RemittanceStatus.choices,
            "due": documents.amount(totals["due"] or 0),
            "confirmed": documents.amount(totals["confirmed"] or 0),
            "payee": remittances.payee_in_force(today),
            "previous": previous,
            "pending": remittances.dues(*previous) if previous else [],
        },
    )


def _previous_quarter(today: date) -> tuple[int, int]:
    quarter = (today.month - 1) // 3 + 1
    return (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)


@requires(Perm.FINANCE_COLLECT, methods=POST)
def remittance_issue(request):
    return perform(
        request,
        lambda: remittances.issue_notices(
            by=request.user,
            year=_number(request, "year", _("年度")),
            quarter=_number(request, "quarter", _("季度")),
        ),
        lambda issued: _("已开具缴款通知 %(n)s 份。") % {"n": len(issued)},
        "finance:remittance_list",
    )


@requires(Perm.FINANCE_COLLECT, methods=POST)
def remittance_chase(request):
    return perform(
        request,
        lambda: remittances.chase_overdue(by=request.user),
        lambda chased: (
            _("已催缴 %(n)s 笔逾期款项（同一笔每周最多催缴一次）。") % {"n": len(chased)}
        ),
        "finance:remittance_list",
    )


@requires_login()
def remittance_detail(request, pk: int):
    remittance = get_object_or_404(
        Remittance.objects.select_related("operator", "authorization", "paid_by", "confirmed_by"),
        pk=pk,
    )
    _visible(request.user, remittance.operator_id)
    today = timezone.localdate()
    return render(
        request,
        "finance/remittance_detail.html",
        {
            "remittance": remittance,
            "amount": documents.amount(remittance.amount_fen),
            "revenue": documents.amount(remittance.revenue_fen),
            "overdue": remittance.overdue(today),
            "today": today,
            "own": request.user.organisation_id == remittance.operator_id,
            "S": RemittanceStatus,
        },
    )


@requires_login()
def remittance_notice(request, pk: int, fmt: str):
    remittance = get_object_or_404(Remittance.objects.select_related("operator"), pk=pk)
    _visible(request.user, remittance.operator_id)
    if fmt not in ("docx", "pdf"):
        raise Http404
    response = HttpResponse(
        papers.render(remittances.notice(remittance), fmt), content_type=papers.TYPES[fmt]
    )
    return attach(
        response, f"缴款通知-{remittance.code}.{fmt}", fallback=f"{remittance.code}.{fmt}"
    )


@requires(Perm.FINANCE_DECLARE, methods=POST)
def remittance_pay(request, pk: int):
    remittance = get_object_or_404(Remittance, pk=pk)
    _visible(request.user, remittance.operator_id)
    return perform(
        request,
        lambda: remittances.record_payment(
            by=request.user,
            remittance=remittance,
            paid_on=_day(request, "paid_on"),
            amount=request.POST.get("amount", ""),
            reference=request.POST.get("reference", ""),
        ),
        _("已登记缴款，待财政部门确认。"),
        ("finance:remittance_detail", pk),
    )


@requires(Perm.FINANCE_COLLECT, methods=POST)
def remittance_confirm(request, pk: int):
    remittance = get_object_or_404(Remittance, pk=pk)
    return perform(
        request,
        lambda: remittances.confirm(by=request.user, remittance=remittance),
        _("已确认收款。"),
        ("finance:remittance_detail", pk),
    )


# --- Payee account and budget allocations ---------------------------------------------------


@requires(Perm.FINANCE_VIEW)
def payee(request):
    return render(
        request,
        "finance/payee.html",
        {
            "accounts": PayeeAccount.objects.all(),
            "in_force": remittances.payee_in_force(timezone.localdate()),
        },
    )


@requires(Perm.FINANCE_COLLECT, methods=POST)
def payee_set(request):
    return perform(
        request,
        lambda: remittances.set_payee(
            by=request.user,
            payee=request.POST.get("payee", ""),
            bank=request.POST.get("bank", ""),
            account_no=request.POST.get("account_no", ""),
            budget_code=request.POST.get("budget_code", ""),
            budget_name=request.POST.get("budget_name", ""),
            days_to_pay=request.POST.get("days_to_pay", ""),
            effective_from=_day(request, "effective_from"),
        ),
        _("已保存收缴账户。"),
        "finance:payee",
    )


@requires(Perm.FINANCE_VIEW)
def budget(request):
    years = sorted(
        set(Remittance.objects.values_list("year", flat=True))
        | set(BudgetAllocation.objects.values_list("year", flat=True)),
        reverse=True,
    )
    summary = [
        {
            "year": year,
            "confirmed": documents.amount(remittances.confirmed_total(year)),
            "allocated": documents.amount(remittances.allocated_total(year)),
            "left": documents.amount(
                remittances.confirmed_total(year) - remittances.allocated_total(year)
            ),
        }
        for year in years
    ]
    return render(
        request,
        "finance/budget.html",
        {
            "summary": summary,
            "allocations": [
                (a, documents.amount(a.amount_fen))
                for a in BudgetAllocation.objects.select_related("created_by")
            ],
            "categories": BudgetCategory.choices,
            "this_year": timezone.localdate().year,
        },
    )


@requires(Perm.FINANCE_COLLECT, methods=POST)
def budget_allocate(request):
    return perform(
        request,
        lambda: remittances.allocate(
            by=request.user,
            year=_number(request, "year", _("收入年度")),
            category=request.POST.get("category", ""),
            amount=request.POST.get("amount", ""),
            document=request.POST.get("document", ""),
            note=request.POST.get("note", ""),
        ),
        _("已登记预算安排。"),
        "finance:budget",
    )


# --- The 31 March report --------------------------------------------------------------------


@requires(Perm.FINANCE_VIEW)
def report_list(request):
    today = timezone.localdate()
    return render(
        request,
        "finance/report_list.html",
        {
            "reports": AnnualReport.objects.select_related("generated_by", "filed_by"),
            "previous": today.year - 1,
            "due": report.due_on(today.year - 1),
            "days_left": (report.due_on(today.year - 1) - today).days,
        },
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def report_generate(request):
    return perform(
        request,
        lambda: report.generate(by=request.user, year=_number(request, "year", _("报告年度"))),
        lambda made: _("已生成 %(year)s 年度报告，请下载审核后报送。") % {"year": made.year},
        "finance:report_list",
    )


@requires(Perm.FINANCE_REGULATE, methods=POST)
def report_file(request, year: int):
    found = get_object_or_404(AnnualReport, year=year)
    return perform(
        request,
        lambda: report.file_report(
            by=request.user, report=found, note=request.POST.get("note", "")
        ),
        _("已报送年度报告，文件哈希已上链。"),
        "finance:report_list",
    )


@requires(Perm.FINANCE_VIEW)
def report_download(request, year: int, fmt: str):
    found = get_object_or_404(AnnualReport, year=year)
    if fmt not in ("docx", "xlsx"):
        raise Http404
    digest = found.docx_sha256 if fmt == "docx" else found.xlsx_sha256
    held = report.path_of(digest, fmt)
    if not held.exists():
        raise Http404
    response = HttpResponse(held.read_bytes(), content_type=papers.TYPES[fmt])
    name = f"{year}年度价格与收益报告.{fmt}"
    return attach(response, name, fallback=f"finance-report-{year}.{fmt}")


# --- Reconciliation with the operator's declared revenue ------------------------------------


@requires_login()
def reconcile_page(request, month: str, organisation: int):
    month = _month(month)
    _visible(request.user, organisation)
    operator = get_object_or_404(Organisation, pk=organisation)
    found = reconcile.differences(month, operator)
    return render(
        request,
        "finance/reconcile.html",
        {
            "month": month,
            "operator": operator,
            "declaration": Declaration.objects.filter(month=month, operator=operator).first(),
            "rows": found or [],
            "unequal": sum(1 for d in found or [] if d.difference_fen),
            "own": request.user.organisation_id == operator.pk,
            "header": reconcile.HEADER,
        },
    )


@requires(Perm.FINANCE_DECLARE, methods=POST)
def revenue_declare(request, month: str):
    month = _month(month)
    back = ("finance:reconcile", month, request.user.organisation_id)
    upload = request.FILES.get("file")
    suffix = upload.name.rsplit(".", 1)[-1].lower() if upload and "." in upload.name else ""
    if suffix not in ("xlsx", "csv"):
        messages.error(request, _("请上传 .xlsx 或 .csv 文件（列：%(columns)s）。")
                       % {"columns": "、".join(reconcile.HEADER)})  # fmt: skip
        return redirect(*back)
    staging = report.files_dir() / "incoming"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=staging, suffix=f".{suffix}") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        try:
            reconcile.declare(by=request.user, month=month, path=Path(handle.name),
                              filename=upload.name)  # fmt: skip
        except reconcile.Unreadable as error:
            shown = "；".join(str(p) for p in error.problems[:5])
            more = len(error.problems) - 5
            if more > 0:
                shown += _("；另有 %(n)s 处问题") % {"n": more}
            messages.error(request, _("未保存：%(problems)s。") % {"problems": shown})
            return redirect(*back)
        except RuleViolation as error:
            messages.error(request, str(error))
            return redirect(*back)
    messages.success(request, _("已上传申报收入，核对结果如下。"))
    return redirect(*back)
