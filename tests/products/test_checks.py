"""The compliance checklist (pdao.products.checks): every item answered with its evidence, in
the review's order, from the product's queries planned in the zone — nothing run or recorded."""

import pytest

from pdao.products import checks, services
from pdao.products.choices import Charging, Check
from pdao.zone.models import ZoneQuery

pytestmark = pytest.mark.django_db


def test_run_checks_answers_every_item_in_the_review_order(market):
    product = market.product()
    services.save_plan(product, by=market.operator, name="公益免费", charging=Charging.FREE)

    result = checks.run_checks(product)

    assert list(result) == list(Check.values)
    assert all(item["passed"] and item["note"] for item in result.values())
    assert not ZoneQuery.objects.exists()


def test_run_checks_names_the_refused_query_and_fails_its_items(market):
    product = market.product(
        sql="SELECT 区县, COUNT(*) AS n FROM 企业登记信息 WHERE 区县 = :d GROUP BY 区县",
        parameters=[{"name": "d", "type": "string", "label": "区县"}],
    )

    result = checks.run_checks(product)

    failed = {item for item, answer in result.items() if not answer["passed"]}
    assert failed == {Check.SCOPE, Check.PRICING, Check.SECURITY}
    assert result[Check.SCOPE]["note"].startswith(f"“{product.name}”被拒绝：")
