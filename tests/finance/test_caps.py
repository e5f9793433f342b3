"""Caps against the MAR: cap × expected yearly volume over the operator's charged products must
fit the maximum allowed revenue of the operating year in force; the bureau sees how much of it
the caps use when it sets one."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pdao.core.rules import RuleViolation
from pdao.finance import services as finance
from pdao.finance.choices import CostCategory, Standard
from pdao.products import services as products

pytestmark = pytest.mark.django_db


def _mar_in_force(shop, cost_yuan: str):
    bureau, owner = shop.city.bureau, shop.operator
    first = timezone.localdate().replace(day=1)
    period = finance.open_period(by=bureau, operator=owner.organisation, starts_on=first,
                                 ends_on=(first + timedelta(days=400)).replace(day=1)
                                 - timedelta(days=1), standard=Standard.TRIAL)  # fmt: skip
    survey = finance.start_survey(by=bureau, period=period, year=first.year)
    finance.declare_cost(by=owner, survey=survey, category=CostCategory.STAFF,
                         description="人员", amount=cost_yuan, industry_percent="100")  # fmt: skip
    finance.submit_survey(by=owner, survey=survey)
    finance.conclude_survey(by=bureau, survey=survey)
    finance.record_bond_yield(by=bureau, year=first.year - 1, percent="2", source="中债")
    allowance = finance.propose_allowance(by=bureau, survey=survey, year_index=1,
                                          profit_rate="0", tax="0")  # fmt: skip
    return finance.approve_allowance(by=bureau, allowance=allowance, document="柳发改价格〔1〕号")


def test_a_cap_that_pushes_expected_revenue_past_the_mar_is_refused(industry, client_for):
    product = industry.product()
    bureau = industry.city.bureau
    products.set_price_cap(product, by=bureau, cap=Decimal("0.50"), expected_volume=30_000)
    _mar_in_force(industry, "10,000")  # MAR ¥10,000
    # 0.50 × 20,000 = ¥10,000: exactly the MAR, allowed.
    products.set_price_cap(product, by=bureau, cap=Decimal("0.50"), expected_volume=20_000)
    with pytest.raises(
        RuleViolation, match=r"预计年收入 10,000\.50 元将超过其最高准许收入 10,000\.00 元"
    ):
        products.set_price_cap(product, by=bureau, cap=Decimal("0.50"), expected_volume=20_001)
    product.refresh_from_db()
    assert (product.price_cap, product.expected_volume) == (Decimal("0.50"), 20_000)
    page = client_for(bureau).get(f"/products/p/{product.code}/").content.decode()
    assert "合计 10,000.00 元，最高准许收入 10,000.00 元" in page and "占 100.0%" in page
    response = client_for(bureau).post(
        f"/products/p/{product.code}/cap/", {"cap": "0.60", "expected_volume": "20000"}, follow=True
    )
    assert "将超过其最高准许收入" in response.content.decode()
    product.refresh_from_db()
    assert product.price_cap == Decimal("0.50")
