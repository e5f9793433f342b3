"""The demo's year of finance history: made by the real services at their own dates, it
agrees with the records (finance_verify), and it leaves each finance role its work."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from pdao.accounts.models import User
from pdao.finance.choices import Adjustment, RemittanceStatus, Standard, SurveyStatus
from pdao.finance.models import PricingPeriod, Remittance, RevenueLine, RevenueMonth, YearEnd
from pdao.products.models import Delivery
from tests.conftest import AUTH_BACKEND


def _as(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username), backend=AUTH_BACKEND)
    return client


def test_a_year_of_metered_revenue_that_finance_verify_recomputes(demo):
    today = timezone.localdate()
    months = list(RevenueMonth.objects.order_by("month").values_list("month", flat=True))
    assert len(months) == 12 and months[-1] == (today.replace(day=1) - date.resolution).strftime(
        "%Y-%m"
    )
    # Each month's lines are priced from deliveries made in that month, through the gateway.
    calls = Delivery.objects.filter(product__authorization__code="DEMO-FIN", status=200)
    first = timezone.localtime(calls.earliest("created_at").created_at).strftime("%Y-%m")
    assert first == months[0] and RevenueLine.objects.filter(month=months[0]).exists()
    call_command("finance_verify")
    line = RevenueLine.objects.filter(source="calls").first()
    RevenueLine.objects.filter(pk=line.pk).update(amount_fen=line.amount_fen + 1)
    with pytest.raises(CommandError, match=f"line {line.pk} holds"):
        call_command("finance_verify")


def test_the_first_year_closed_12_percent_above_its_mar_asks_the_bureau(demo):
    closed = YearEnd.objects.get()
    assert closed.allowance.period.standard == Standard.FORMAL
    assert abs(closed.deviation - Decimal("0.12")) < Decimal("0.0001")
    assert (
        closed.adjustment == Adjustment.BUREAU_CAPS and closed.respond_by > closed.closed_at.date()
    )
    assert closed.carried_fen == closed.actual_fen - closed.allowance.total_fen > 0
    work = _as("bureau").get("/workbench/").content.decode()
    assert "收入偏差超过阈值，需调整上限收费标准" in work
    page = _as("bureau").get(f"/finance/periods/{closed.allowance.period_id}/").content.decode()
    assert "12%" in page and "反馈上限调整情况" in page


def test_one_remittance_confirmed_one_overdue_one_due(demo):
    today = timezone.localdate()
    states = sorted(
        (r.status, r.overdue(today)) for r in Remittance.objects.order_by("year", "quarter")
    )
    assert states == [
        (RemittanceStatus.CONFIRMED, False),
        (RemittanceStatus.NOTIFIED, False),
        (RemittanceStatus.NOTIFIED, True),
    ]
    assert "逾期未缴的收益上缴" in _as("finance").get("/workbench/").content.decode()
    mine = _as("operator2").get("/finance/mine/").content.decode()
    assert "逾期" in mine
    overview = _as("finance").get("/finance/")
    assert overview.status_code == 200 and len(overview.context["figures"]) == 5


def test_the_other_operator_is_in_its_trial_year_declaring_costs(demo):
    operator = User.objects.get(username="operator").organisation
    period = PricingPeriod.objects.get(operator=operator)
    assert period.standard == Standard.TRIAL
    assert period.starts_on <= timezone.localdate() <= period.ends_on
    assert period.surveys.get().status == SurveyStatus.DECLARING
    assert "待填报的成本调查" in _as("operator").get("/workbench/").content.decode()
