"""The finance pillar's pending work: what each role must do next about costs, the MAR, year
ends, remittances and the 31 March report, with deadlines marked urgent once they pass."""

from datetime import date

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work
from pdao.finance import report
from pdao.finance.choices import Adjustment, AllowanceStatus, RemittanceStatus, SurveyStatus
from pdao.finance.models import (
    Allowance,
    AnnualReport,
    CostSurvey,
    Remittance,
    RevenueMonth,
    YearEnd,
)


def _unanswered(asked: Adjustment):
    return YearEnd.objects.filter(adjustment=asked, responded_at__isnull=True)


def _earliest(rows, field: str) -> str:
    first = rows.order_by(field).values_list(field, flat=True).first()
    return _("最早期限 %(day)s") % {"day": first.isoformat()} if first else ""


@pending_work(Role.BUREAU_ADMIN)
def price_mechanism(user):
    today = timezone.localdate()
    periods = reverse("finance:period_list")
    yield WorkItem(
        _("待审核的成本调查"),
        CostSurvey.objects.filter(status=SurveyStatus.REVIEWING).count(),
        periods,
    )
    yield WorkItem(
        _("待登记批复的最高准许收入"),
        Allowance.objects.filter(status=AllowanceStatus.PROPOSED).count(),
        periods,
    )
    yield WorkItem(
        _("已结束待清算的运营年度"),
        Allowance.objects.filter(
            status=AllowanceStatus.APPROVED, ends_on__lt=today, year_end__isnull=True
        ).count(),
        periods,
    )
    caps = _unanswered(Adjustment.BUREAU_CAPS)
    yield WorkItem(
        _("收入偏差超过阈值，需调整上限收费标准"),
        caps.count(),
        periods,
        hint=_earliest(caps, "respond_by"),
        urgent=caps.filter(respond_by__lt=today).exists(),
    )
    year = today.year - 1
    filed = AnnualReport.objects.filter(year=year, status=AnnualReport.Status.FILED).exists()
    left = (report.due_on(year) - today).days
    yield WorkItem(
        _("%(year)s 年度价格与收益报告（%(due)s 前报送）")
        % {"year": year, "due": report.due_on(year).isoformat()},
        0 if filed else 1,
        reverse("finance:report_list"),
        hint=""
        if filed
        else (
            _("还有 %(n)s 天") % {"n": left} if left >= 0 else _("已逾期 %(n)s 天") % {"n": -left}
        ),
        urgent=not filed and left <= 14,
    )
    last = today.replace(day=1)
    previous = date(last.year - 1, 12, 1) if last.month == 1 else last.replace(month=last.month - 1)
    month = previous.strftime("%Y-%m")
    yield WorkItem(
        _("上月收入尚未计算（%(month)s）") % {"month": month},
        0 if RevenueMonth.objects.filter(month=month).exists() else 1,
        reverse("finance:revenue_list"),
    )


@pending_work(Role.OPERATOR)
def operator_finance(user):
    today = timezone.localdate()
    organisation = user.organisation
    mine = reverse("finance:mine")
    yield WorkItem(
        _("待填报的成本调查"),
        CostSurvey.objects.filter(
            status=SurveyStatus.DECLARING, period__operator=organisation
        ).count(),
        mine,
    )
    prices = _unanswered(Adjustment.OPERATOR_PRICES).filter(
        allowance__period__operator=organisation
    )
    yield WorkItem(
        _("收入偏差在阈值内，需调整实际收费标准"),
        prices.count(),
        mine,
        hint=_earliest(prices, "respond_by"),
        urgent=prices.filter(respond_by__lt=today).exists(),
    )
    notified = Remittance.objects.filter(operator=organisation, status=RemittanceStatus.NOTIFIED)
    yield WorkItem(
        _("待缴纳的收益上缴"),
        notified.count(),
        mine,
        hint=_earliest(notified, "due_on"),
        urgent=notified.filter(due_on__lt=today).exists(),
    )


@pending_work(Role.FINANCE)
def finance_bureau(user):
    today = timezone.localdate()
    url = reverse("finance:remittance_list")
    yield WorkItem(
        _("已缴款待确认"),
        Remittance.objects.filter(status=RemittanceStatus.PAID).count(),
        f"{url}?status={RemittanceStatus.PAID}",
    )
    overdue = Remittance.objects.filter(Q(status=RemittanceStatus.NOTIFIED) & Q(due_on__lt=today))
    yield WorkItem(
        _("逾期未缴的收益上缴"), overdue.count(), f"{url}?status=overdue", urgent=overdue.exists()
    )
