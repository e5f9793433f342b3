"""The revenue ledger from real gateway calls: lines priced by the plan in force at the tier
each call reached, monthly fees on their days, 公益 free, recomputed identically, and a line
altered in the database caught by finance_verify."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.core.rules import RuleViolation
from pdao.finance import revenue
from pdao.finance.models import RevenueLine
from pdao.products import gateway
from pdao.products import services as products
from pdao.products.choices import Charging
from pdao.products.models import Delivery

pytestmark = pytest.mark.django_db


def _listed(shop, cap: str, **plan):
    product = shop.product()
    products.set_price_cap(product, by=shop.city.bureau, cap=Decimal(cap))
    return shop.to_market(product, **plan)


def _calls(shop, product, sinces) -> list[int]:
    shop.subscribe(product)
    credential, _ = products.create_credential(by=shop.consumer, name="c")
    statuses = [
        gateway.call(credential, product.code, {"since": since}, source_ip=None).status
        for since in sinces
    ]
    return statuses


def _month() -> str:
    latest = Delivery.objects.latest("pk").created_at
    return timezone.localtime(latest).strftime("%Y-%m")


def test_calls_are_priced_at_the_tier_they_reached_and_refusals_are_free(industry):
    product = _listed(industry, "0.50", name="按次", charging=Charging.PER_CALL,
                      unit_price=Decimal("0.50"), tiers=[[3, "0.40"]])  # fmt: skip
    statuses = _calls(industry, product, ["2024-01-01", "2024-02-01", "x", "2024-03-01",
                                          "2024-01-01"])  # fmt: skip
    assert statuses == [200, 200, 400, 200, 200]
    month = _month()
    lines = revenue.compute_month(month)
    # Calls 1–2 at ¥0.50, calls 3–4 (the refused call is not counted) at ¥0.40.
    assert sorted((line.unit_price, line.calls, line.amount_fen) for line in lines) == [
        (Decimal("0.40"), 2, 80), (Decimal("0.50"), 2, 100),
    ]  # fmt: skip
    assert {line.operator for line in lines} == {product.operator}
    assert all(line.purpose == "industry" and line.consumer == industry.consumer.organisation
               for line in lines)  # fmt: skip
    again = revenue.compute_month(month)
    assert sorted((x.unit_price, x.calls, x.amount_fen) for x in again) == sorted(
        (x.unit_price, x.calls, x.amount_fen) for x in lines
    )
    assert RevenueLine.objects.count() == 2
    assert revenue.verify_month(month) == []
    call_command("finance_verify")
    out = StringIO()
    call_command("finance_revenue", "--month", month, stdout=out)
    assert out.getvalue().rstrip().endswith(f"{month}: 2 lines, 1.80 yuan")
    assert AuditEvent.objects.filter(action="finance.revenue.compute", system="cli").exists()
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("finance_revenue", "--month", "2026-13")


def test_a_monthly_plan_charges_its_fee_on_its_day_and_not_per_call(industry):
    product = _listed(industry, "0.50", name="包月", charging=Charging.MONTHLY,
                      monthly_fee=Decimal("300"), calls_per_month=1000)  # fmt: skip
    assert _calls(industry, product, ["2024-01-01", "2024-02-01"]) == [200, 200]
    (line,) = revenue.compute_month(_month())
    assert (line.source, line.quantity, line.amount_fen, line.calls) == (
        "monthly_fee",
        1,
        300_00,
        2,
    )


def test_public_welfare_calls_make_no_revenue(market):
    product = market.to_market(market.product())
    assert _calls(market, product, ["2024-01-01"]) == [200]
    assert revenue.compute_month(_month()) == []


def test_finance_verify_fails_when_a_line_is_altered_in_the_database(industry):
    product = _listed(industry, "0.50", name="按次", charging=Charging.PER_CALL,
                      unit_price=Decimal("0.30"))  # fmt: skip
    _calls(industry, product, ["2024-01-01", "2024-02-01"])
    (line,) = revenue.compute_month(_month())
    assert line.amount_fen == 60
    RevenueLine.objects.filter(pk=line.pk).update(amount_fen=6)
    with pytest.raises(CommandError, match=r"calls/quantity/amount \(2, Decimal\('2.000'\), 6\)"):
        call_command("finance_verify")
    RevenueLine.objects.filter(pk=line.pk).delete()
    with pytest.raises(CommandError, match="has no line"):
        call_command("finance_verify")  # the month was computed: its missing line is missed


def _year_of_lines(shop, monthly_fen: int, months: list[str]):
    """Revenue lines of one subscription, one a month (as compute_month stores them)."""
    from pdao.finance.models import RevenueMonth

    product = _listed(shop, "0.50", name="按次", charging=Charging.PER_CALL,
                      unit_price=Decimal("0.50"))  # fmt: skip
    subscription = shop.subscribe(product)
    for month in months:
        RevenueLine.objects.create(
            month=month, operator=product.operator, consumer=subscription.consumer,
            product=product, subscription=subscription, purpose="industry", source="calls",
            charging="per_call", unit_price=Decimal("0.50"), calls=monthly_fen // 50,
            quantity=Decimal(monthly_fen // 50), amount_fen=monthly_fen,
        )  # fmt: skip
        RevenueMonth.objects.create(month=month, lines=1, total_fen=monthly_fen)
    return product.operator


def test_a_year_12_percent_over_its_mar_asks_the_bureau_and_carries_the_excess(industry):
    from datetime import date

    from pdao.finance import services as finance
    from pdao.finance.choices import CostCategory, Standard

    bureau = industry.city.bureau
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    operator = _year_of_lines(industry, 9_800_00, months)  # ¥117,600 in the year
    owner = industry.operator
    period = finance.open_period(by=bureau, operator=operator, starts_on=date(2025, 1, 1),
                                 ends_on=date(2027, 12, 31), standard=Standard.FORMAL)  # fmt: skip
    survey = finance.start_survey(by=bureau, period=period, year=2025)
    finance.declare_cost(by=owner, survey=survey, category=CostCategory.STAFF,
                         description="人员", amount="100000", industry_percent="100")  # fmt: skip
    finance.submit_survey(by=owner, survey=survey)
    finance.conclude_survey(by=bureau, survey=survey)
    finance.record_bond_yield(by=bureau, year=2024, percent="2.0", source="中国债券信息网")
    first = finance.propose_allowance(by=bureau, survey=survey, year_index=1, profit_rate="5",
                                      tax="0")  # fmt: skip
    assert first.total_fen == 105_000_00  # 100,000 + 5 %
    with pytest.raises(RuleViolation, match="尚未批复"):
        finance.close_year(by=bureau, allowance=first)
    finance.approve_allowance(by=bureau, allowance=first, document="柳发改价格〔2025〕3号")
    closed = finance.close_year(by=bureau, allowance=first, carry_years=2)
    # |117,600 − 105,000| / 105,000 = 12 % > 10 %: the bureau adjusts its caps.
    assert closed.actual_fen == 117_600_00 and closed.deviation == Decimal("0.12")
    assert closed.adjustment == "bureau_caps" and closed.threshold == Decimal("10")
    assert closed.carried_fen == 12_600_00 and closed.parts() == [6_300_00, 6_300_00]
    second = finance.propose_allowance(by=bureau, survey=survey, year_index=2, profit_rate="5",
                                       tax="0")  # fmt: skip
    assert (second.deduction_fen, second.total_fen) == (6_300_00, 98_700_00)
    with pytest.raises(RuleViolation, match="已清算"):
        finance.close_year(by=bureau, allowance=first)
    from pdao.finance import verify
    from pdao.finance.models import YearEnd

    assert not [p for p in verify.problems() if p.startswith("year end")]
    YearEnd.objects.filter(pk=closed.pk).update(actual_fen=105_000_00, carried_fen=0)
    assert [p for p in verify.problems() if p.startswith("year end")] == [
        f"year end {closed.pk}: holds actual/carried (10500000, 0), "
        "the revenue lines give (11760000, 1260000)"
    ]


def test_a_year_with_a_month_not_computed_cannot_be_closed(industry):
    from datetime import date

    from pdao.finance import services as finance
    from pdao.finance.choices import CostCategory, Standard

    bureau = industry.city.bureau
    operator = _year_of_lines(industry, 100_00, [f"2025-{m:02d}" for m in range(1, 12)])
    with pytest.raises(RuleViolation, match="月末日"):
        finance.open_period(by=bureau, operator=operator, starts_on=date(2025, 1, 15),
                            ends_on=date(2025, 12, 31), standard=Standard.TRIAL)  # fmt: skip
    period = finance.open_period(by=bureau, operator=operator, starts_on=date(2025, 1, 1),
                                 ends_on=date(2025, 12, 31), standard=Standard.TRIAL)  # fmt: skip
    survey = finance.start_survey(by=bureau, period=period, year=2025)
    finance.declare_cost(by=industry.operator, survey=survey, category=CostCategory.STAFF,
                         description="人员", amount="1000", industry_percent="100")  # fmt: skip
    finance.submit_survey(by=industry.operator, survey=survey)
    finance.conclude_survey(by=bureau, survey=survey)
    finance.record_bond_yield(by=bureau, year=2024, percent="2.0", source="中国债券信息网")
    allowance = finance.propose_allowance(by=bureau, survey=survey, year_index=1,
                                          profit_rate="5", tax="0")  # fmt: skip
    finance.approve_allowance(by=bureau, allowance=allowance, document="柳发改价格〔2025〕4号")
    with pytest.raises(RuleViolation, match="2025-12"):
        finance.close_year(by=bureau, allowance=allowance)
