"""The product lifecycle: draft → compliance review (checklist, two sign-offs) → filing →
listing → delisting; prices under the cap; subscriptions within the authorization's term."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.products import services
from pdao.products.choices import Charging, ProductStatus
from pdao.products.models import Product

pytestmark = pytest.mark.django_db


def test_product_walks_review_filing_and_listing_with_ledger_anchors(market):
    product = market.product()
    assert product.status == ProductStatus.DRAFT and product.code.startswith("LZ-DP-")

    product = market.to_market(product)

    assert product.status == ProductStatus.LISTED
    assert product.filing_no.startswith("LZ-BA-")
    review = product.reviews.get()
    assert review.outcome == "passed" and review.checks_passed
    assert set(review.checks) == {
        "source",
        "scope",
        "form",
        "deidentification",
        "pricing",
        "security",
    }
    anchored = set(
        LedgerEntry.objects.filter(object_id=str(product.pk)).values_list("type", flat=True)
    )
    assert {"product.file", "product.list"} <= anchored
    actions = set(
        AuditEvent.objects.filter(object_id=str(product.pk)).values_list("action", flat=True)
    )
    assert {
        "product.create",
        "product.submit",
        "product.sign",
        "product.file",
        "product.list",
    } <= actions

    services.delist_product(product, by=market.operator, reason="版本更新")
    product.refresh_from_db()
    assert product.status == ProductStatus.DELISTED
    assert LedgerEntry.objects.filter(object_id=str(product.pk), type="product.delist").exists()


def test_submission_refused_when_the_query_leaves_the_authorized_scope(market):
    product = market.product(
        sql="SELECT 区县, COUNT(*) AS n FROM 企业登记信息 WHERE 区县 = :d GROUP BY 区县",
        parameters=[{"name": "d", "type": "string", "label": "区县"}],
    )
    services.save_plan(product, by=market.operator, name="免费", charging=Charging.FREE)

    with pytest.raises(RuleViolation, match="使用范围在协议之内"):
        services.submit_for_review(product, by=market.operator)
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT and not product.reviews.exists()


def test_template_and_declarations_must_agree(market):
    with pytest.raises(RuleViolation, match="未声明"):
        market.product(parameters=[])
    with pytest.raises(RuleViolation, match="未在模板中使用"):
        market.product(
            parameters=[*market_params(), {"name": "x", "type": "integer", "label": "x"}]
        )
    with pytest.raises(RuleViolation, match="记录标识列"):
        market.product(form="deidentified", key_column="")


def market_params():
    from tests.products.conftest import AGGREGATE_PARAMS

    return AGGREGATE_PARAMS


def test_one_refusal_returns_the_product_and_a_conflicted_reviewer_cannot_sign(market):
    product = market.product()
    services.save_plan(product, by=market.operator, name="免费", charging=Charging.FREE)
    review = services.submit_for_review(product, by=market.operator)
    with pytest.raises(RuleViolation, match="利益冲突"):
        from pdao.core.permissions import Role
        from tests.factories import user_with_role

        insider = user_with_role(Role.REVIEWER, organisation=market.operator.organisation)
        services.sign_review(review, by=insider, role="reviewer", approved=True, note="好")

    services.sign_review(
        review, by=market.supervisor, role="supervisor", approved=False, note="缺少测试"
    )

    product.refresh_from_db()
    assert product.status == ProductStatus.REJECTED and product.status_reason == "缺少测试"
    assert product.filing_no == ""
    services.update_product(product, by=market.operator, name="区县参保统计(修订)")
    assert services.submit_for_review(product, by=market.operator).outcome == "pending"


def test_only_own_operator_edits_and_lists(market):
    product = market.product()
    stranger = market.new_consumer()
    with pytest.raises(RuleViolation):
        services.update_product(product, by=stranger, name="x")
    with pytest.raises(RuleViolation, match="已备案"):
        services.list_product(product, by=market.operator)


@pytest.fixture
def industry(market):
    """The same market with an 产业 authorization (priced products)."""
    application = market.city.to_decision(
        market.city.draft((market.city.social, ["aggregate"]), purpose="industry")
    )
    market.authorization = market.city.activate(application)
    return market


def test_public_welfare_products_are_free_only(market):
    product = market.product()
    with pytest.raises(RuleViolation, match="公益"):
        services.save_plan(
            product, by=market.operator, name="收费", charging=Charging.PER_CALL, unit_price=1
        )


def test_industry_prices_stay_at_or_under_the_bureau_cap(industry):
    product = industry.product()
    with pytest.raises(RuleViolation, match="尚未设定上限"):
        services.save_plan(
            product, by=industry.operator, name="按次", charging=Charging.PER_CALL, unit_price=1
        )
    services.set_price_cap(product, by=industry.city.bureau, cap=Decimal("0.50"))
    with pytest.raises(RuleViolation, match="高于上限"):
        services.save_plan(
            product,
            by=industry.operator,
            name="按次",
            charging=Charging.PER_CALL,
            unit_price=Decimal("0.40"),
            tiers=[[1001, "0.60"]],
        )
    with pytest.raises(RuleViolation, match="高于上限"):
        services.save_plan(
            product,
            by=industry.operator,
            name="包月",
            charging=Charging.MONTHLY,
            monthly_fee=Decimal("600"),
            calls_per_month=1000,
        )
    plan = services.save_plan(
        product,
        by=industry.operator,
        name="按次",
        charging=Charging.PER_CALL,
        unit_price=Decimal("0.50"),
        tiers=[[1001, "0.40"], [10001, "0.30"]],
    )
    assert services.price_of_call(plan, 1, 10) == Decimal("0.50")
    assert services.price_of_call(plan, 1001, 10) == Decimal("0.40")
    assert services.price_of_call(plan, 20000, 10) == Decimal("0.30")
    with pytest.raises(RuleViolation, match="高于新上限"):
        services.set_price_cap(product, by=industry.city.bureau, cap=Decimal("0.30"))
    product.refresh_from_db()
    assert product.price_cap == Decimal("0.50")
    with pytest.raises(RuleViolation):
        services.set_price_cap(product, by=industry.operator, cap=Decimal("9"))


def test_subscription_never_outlives_the_authorization(market):
    product = market.to_market(market.product())
    ends = timezone.localdate() + timedelta(days=40)
    type(market.authorization).objects.filter(pk=market.authorization.pk).update(ends_on=ends)

    subscription = services.subscribe(
        Product.objects.get(pk=product.pk), by=market.consumer, plan=product.plans.get(), months=12
    )

    assert subscription.ends_on == ends
    with pytest.raises(RuleViolation, match="已订阅"):
        market.subscribe(product)


def test_only_verified_consumers_subscribe_listed_products(market):
    product = market.product()
    services.save_plan(product, by=market.operator, name="免费", charging=Charging.FREE)
    with pytest.raises(RuleViolation, match="未上架"):
        market.subscribe(product)
    with pytest.raises(RuleViolation, match="权限"):
        services.subscribe(product, by=market.operator, plan=product.plans.get(), months=1)


def test_a_company_registers_as_consumer_and_subscribes_once_verified(market, client):
    from pdao.accounts.models import Organisation, User
    from pdao.accounts.services import verify_organisation
    from tests.factories import credit_code

    product = market.to_market(market.product())
    code = credit_code.make("91", "450200", "77777777")
    form = {
        "name": "柳州普惠信贷服务有限公司", "credit_code": code, "division_code": "450200",
        "contact_name": "李四", "contact_phone": "0772-1234567", "address": "柳州市城中区",
        "username": "puhui", "display_name": "李四", "email": "li@example.com",
        "password": "Puhui-Str0ng-pass", "password_again": "Puhui-Str0ng-pass",
    }  # fmt: skip

    assert client.post("/products/register/", form).status_code == 200
    organisation = Organisation.objects.get(credit_code=code)
    user = User.objects.get(username="puhui")
    assert organisation.type == "consumer" and organisation.verified_at is None
    assert user.has_perm("products.subscribe")
    with pytest.raises(RuleViolation, match="核验"):
        services.subscribe(product, by=user, plan=product.plans.get(), months=6)

    verify_organisation(organisation, by=market.city.bureau)
    user.refresh_from_db()
    assert services.subscribe(product, by=user, plan=product.plans.get(), months=6).pk

    again = client.post("/products/register/", {**form, "username": "other"})
    assert again.status_code == 200 and "credit_code" in again.context["form"].errors
    bad = client.post("/products/register/", {**form, "credit_code": "91450200000000000X"})
    assert "credit_code" in bad.context["form"].errors
    assert Organisation.objects.filter(type="consumer", name__startswith="柳州普惠").count() == 1
