"""The revenue ledger from real gateway calls: lines priced by the plan in force at the tier
each call reached, monthly fees on their days, 公益 free, recomputed identically, and a line
altered in the database caught by finance_verify."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pdao.finance import revenue
from pdao.finance.models import RevenueLine
from pdao.products import gateway
from pdao.products import services as products
from pdao.products.choices import Charging
from pdao.products.models import Delivery
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def industry(market):  # noqa: F811
    application = market.city.to_decision(
        market.city.draft((market.city.social, ["aggregate"]), purpose="industry")
    )
    market.authorization = market.city.activate(application)
    return market


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


def test_public_welfare_calls_make_no_revenue(market):  # noqa: F811
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
