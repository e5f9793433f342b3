"""A charged product ready to trade: filed and on our market under a 0.50 元 cap, priced 0.40 元
a call, its 说明书 written and its registration confirmed; and a free one alongside."""

from decimal import Decimal

import pytest

from pdao.market import listings
from pdao.products import services as products
from pdao.products.choices import Charging
from tests.finance.conftest import industry  # noqa: F401 (fixture)
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

SPEC = {
    "data_content": "按区县统计的参保人次与平均缴费。",
    "update_frequency": "monthly",
    "field_meanings": {"in:since": "统计起始月份"},
    "use_purpose": "企业用工规模研判",
    "use_term": "合同服务期内，且不超过授权期限",
    "allowed_users": "买方及其员工",
    "prohibited": "不得转售；不得尝试识别个人",
    "use_cases": "银行授信前核验企业参保规模。",
    "delivery": "api",
}


def ready(shop, product):
    """The 说明书 written and the registration confirmed."""
    listings.save_specification(product, by=shop.operator, **SPEC)
    registration = listings.submit_registration(product, by=shop.operator)
    listings.decide_registration(registration, by=shop.city.bureau, confirm=True)
    product.refresh_from_db()
    return product


@pytest.fixture
def shop(industry):  # noqa: F811
    product = industry.product()
    products.set_price_cap(product, by=industry.city.bureau, cap=Decimal("0.50"))
    product = industry.to_market(
        product, name="按次", charging=Charging.PER_CALL, unit_price=Decimal("0.40")
    )
    industry.traded = ready(industry, product)
    return industry
