"""Orders and contracts: the whole trade through the real services (contract signed with both
agreement keys, payment recorded and confirmed, delivery as a subscription the gateway honours,
acceptance settling on the ledger), every transition allowed or refused, the related-party
rule, on-exchange orders, and acceptance racing a dispute."""

import threading
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone
from docx import Document

from pdao.audit.models import AuditEvent
from pdao.core import papers
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.market import contracts, listings, orders
from pdao.market.choices import ListingStatus, OrderStatus, Venue
from pdao.products import gateway
from pdao.products import services as products
from pdao.products.choices import SubscriptionStatus
from pdao.products.models import PricePlan
from tests.factories import user_with_role
from tests.market.conftest import ready

pytestmark = pytest.mark.django_db
O = OrderStatus  # noqa: E741
TODAY = timezone.localdate


def _order(shop, **kw):
    product = shop.traded
    return orders.place(
        product,
        by=kw.pop("by", shop.consumer),
        plan=kw.pop("plan", product.plans.get()),
        months=kw.pop("months", 12),
        quantity=kw.pop("quantity", 5000),
        **kw,
    )


def _signed(shop, **kw):
    order = _order(shop, **kw)
    orders.sign(order, by=shop.consumer)
    orders.sign(order, by=shop.operator)
    order.refresh_from_db()
    return order


def _paid(shop):
    order = _signed(shop)
    orders.record_payment(
        order, by=shop.operator, paid_on=TODAY(), amount="2,000.00", reference="ICBC-001"
    )
    order.refresh_from_db()
    return order


def _delivered(shop):
    order = _paid(shop)
    orders.confirm_payment(order, by=shop.consumer)
    order.refresh_from_db()
    return order


def test_a_charged_order_from_contract_to_settlement(shop):
    order = _order(shop)
    assert order.amount_fen == 2000_00  # 5,000 calls × 0.40 元
    assert order.terms["amount"] == "2,000.00"
    assert order.terms["product"]["registration_code"]
    assert order.subscription is None
    orders.sign(order, by=shop.consumer)
    with pytest.raises(RuleViolation, match="已签署"):
        orders.sign(order, by=shop.consumer)
    orders.sign(order, by=shop.operator)
    order.refresh_from_db()
    ok, checks = orders.verify(order)
    assert order.status == O.SIGNED and ok and len(checks) == 2
    assert LedgerEntry.objects.get(type="market.contract").content_hash == order.sha256
    with pytest.raises(RuleViolation, match=r"与合同金额 2,000\.00 元不符"):
        orders.record_payment(
            order, by=shop.operator, paid_on=TODAY(), amount="1999.99", reference="R"
        )
    with pytest.raises(RuleViolation, match="只有卖方"):
        orders.record_payment(
            order, by=user_with_role(Role.OPERATOR), paid_on=TODAY(), amount="2000", reference="R"
        )
    with pytest.raises(RuleViolation, match="签署之日至今天"):
        orders.record_payment(
            order,
            by=shop.operator,
            paid_on=TODAY() - timedelta(days=1),
            amount="2000",
            reference="R",
        )
    orders.record_payment(order, by=shop.operator, paid_on=TODAY(), amount="2000", reference="R1")
    with pytest.raises(RuleViolation, match="只有买方"):
        orders.confirm_payment(order, by=shop.new_consumer())
    orders.confirm_payment(order, by=shop.consumer)
    order.refresh_from_db()
    assert order.status == O.DELIVERED
    subscription = order.subscription
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.consumer == shop.consumer.organisation
    # Delivered means usable: the consumer's credential calls the product through the gateway.
    credential, _ = products.create_credential(by=shop.consumer, name="订单交付")
    call = gateway.call(credential, shop.traded.code, {"since": "2024-01-01"}, source_ip=None)
    assert call.status == 200
    orders.accept(order, by=shop.consumer)
    order.refresh_from_db()
    assert order.status == O.SETTLED and order.settlement_sha256
    assert LedgerEntry.objects.get(type="market.settlement").content_hash == (
        order.settlement_sha256
    )
    actions = list(
        AuditEvent.objects.filter(action__startswith="market.order")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "market.order",
        "market.order_sign",
        "market.order_sign",
        "market.order_pay",
        "market.order_confirm_payment",
        "market.order_deliver",
        "market.order_accept",
    ]


def test_the_contract_documents_carry_the_terms_and_the_verified_signatures(shop):
    order = _signed(shop)
    paper = contracts.paper(order)
    text = "\n".join(p.text for p in Document(BytesIO(papers.docx(paper))).paragraphs)
    assert order.code in text and "人民币 2,000.00 元" in text
    assert "合同文本与签名验证一致" in text
    assert papers.pdf(paper).startswith(b"%PDF")
    table = Document(BytesIO(papers.docx(paper))).tables[0]
    assert [row.cells[3].text for row in table.rows[1:]] == ["有效", "有效"]


def test_a_free_order_is_delivered_when_both_have_signed(market):
    product = market.to_market(market.product())  # 公益, a free plan
    ready(market, product)
    order = orders.place(product, by=market.consumer, plan=product.plans.get(), months=6)
    assert (order.amount_fen, order.quantity) == (0, 0)
    orders.sign(order, by=market.operator)
    orders.sign(order, by=market.consumer)
    order.refresh_from_db()
    assert order.status == O.DELIVERED and order.subscription is not None
    orders.accept(order, by=market.consumer)
    order.refresh_from_db()
    assert order.status == O.SETTLED


def test_orders_are_refused_for_what_cannot_be_traded(shop):
    product = shop.traded
    plan = product.plans.get()
    with pytest.raises(RuleViolation, match="没有执行此操作的权限"):
        orders.place(product, by=shop.operator, plan=plan, months=12, quantity=1)
    with pytest.raises(RuleViolation, match="1 至 36 个月"):
        _order(shop, months=37)
    with pytest.raises(RuleViolation, match="购买数量"):
        _order(shop, quantity=0)
    # A price above the cap (the cap lowered under a plan behind the bureau's back).
    PricePlan.objects.filter(pk=plan.pk).update(unit_price=Decimal("0.60"))
    with pytest.raises(RuleViolation, match="高于上限"):
        _order(shop)
    PricePlan.objects.filter(pk=plan.pk).update(unit_price=Decimal("0.40"))
    # Unlisted: delisted by its operator.
    products.delist_product(product, by=shop.operator, reason="暂停")
    with pytest.raises(RuleViolation, match="未上架"):
        _order(shop)
    products.list_product(product, by=shop.operator)
    # Lapsed registration.
    until = listings.current_registration(product).valid_until
    with (
        time_machine.travel(until + timedelta(days=1), tick=False),
        pytest.raises(RuleViolation, match="登记已失效"),
    ):
        _order(shop)
    first = _order(shop)
    with pytest.raises(RuleViolation, match="未完成订单"):
        _order(shop)
    assert list(orders.Order.objects.values_list("code", flat=True)) == [first.code]


def test_an_unverified_consumer_and_a_stranger_cannot_act(shop):
    order = _order(shop)
    stranger = shop.new_consumer()
    with pytest.raises(RuleViolation, match="只有合同双方"):
        orders.sign(order, by=stranger)
    orders.Order.objects.filter(pk=order.pk).update(terms=order.terms | {"amount_fen": 1})
    order.refresh_from_db()
    with pytest.raises(RuleViolation, match="摘要不一致"):
        orders.sign(order, by=shop.consumer)
    unverified = shop.new_consumer()
    unverified.organisation.verified_at = unverified.organisation.verified_by = None
    unverified.organisation.save()
    with pytest.raises(RuleViolation, match="尚未通过核验"):
        orders.place(shop.traded, by=unverified, plan=shop.traded.plans.get(), months=1,
                     quantity=1)  # fmt: skip


def test_related_parties_may_not_buy_each_others_products(shop):
    consumer = shop.consumer.organisation
    operator = shop.traded.operator
    with pytest.raises(RuleViolation, match="至少包括两个"):
        orders.declare_related(by=shop.city.bureau, name="集团",
                               credit_codes=[consumer.credit_code], reason="同一控制")  # fmt: skip
    with pytest.raises(RuleViolation, match="无效"):
        orders.declare_related(by=shop.city.bureau, name="集团",
                               credit_codes=[consumer.credit_code, "91450200ABCDEFGHIJ"],
                               reason="同一控制")  # fmt: skip
    with pytest.raises(RuleViolation):
        orders.declare_related(by=shop.operator, name="集团",
                               credit_codes=[consumer.credit_code, operator.credit_code],
                               reason="同一控制")  # fmt: skip
    orders.declare_related(by=shop.city.bureau, name="某集团",
                           credit_codes=[consumer.credit_code.lower(), operator.credit_code],
                           reason="同一实际控制人")  # fmt: skip
    with pytest.raises(RuleViolation, match="关联方"):
        _order(shop)
    with pytest.raises(RuleViolation, match="关联方"):  # nor by subscribing directly
        products.subscribe(shop.traded, by=shop.consumer, plan=shop.traded.plans.get(), months=1)
    assert orders.Order.objects.count() == 0
    assert AuditEvent.objects.filter(action="market.related").count() == 1


def test_an_on_exchange_order_needs_the_listing_and_its_order_number_once(shop):
    listing = listings.create_listing(
        shop.traded, by=shop.operator, exchange="北部湾大数据交易中心"
    )
    with pytest.raises(RuleViolation, match="未在所选交易场所挂牌"):
        _order(shop, listing=listing, exchange_order_no="BBW-DD-1")
    listings.prepare(listing, by=shop.operator)
    for step in (ListingStatus.SUBMITTED, ListingStatus.REVIEWING):
        listings.advance(listing, by=shop.operator, to=step)
    listings.advance(listing, by=shop.operator, to=ListingStatus.NOTICE)
    listing.refresh_from_db()
    with time_machine.travel(listing.notice_end + timedelta(days=1), tick=False):
        listings.advance(listing, by=shop.operator, to=ListingStatus.LISTED, number="BBW-GP-1")
    with pytest.raises(RuleViolation, match="交易场所订单号"):
        _order(shop, listing=listing)
    with pytest.raises(RuleViolation, match="交易场所订单号"):  # wording cannot ride in it
        _order(shop, listing=listing, exchange_order_no="BBW 1 买方同意放弃验收")
    order = _order(shop, listing=listing, exchange_order_no="BBW-DD-1")
    assert order.venue == Venue.ON
    assert order.terms["exchange_listing_no"] == "BBW-GP-1"
    orders.cancel(order, by=shop.consumer, reason="改期")
    with pytest.raises(RuleViolation, match="已登记"):
        _order(shop, listing=listing, exchange_order_no="bbw-dd-1")  # letter case aside


# --- Every action at every state --------------------------------------------------------------

ACTIONS = {
    "sign_buyer": lambda s, o: orders.sign(o, by=s.consumer),
    "sign_seller": lambda s, o: orders.sign(o, by=s.operator),
    "pay": lambda s, o: orders.record_payment(
        o, by=s.operator, paid_on=TODAY(), amount="2000", reference="R9"
    ),
    "confirm": lambda s, o: orders.confirm_payment(o, by=s.consumer),
    "accept": lambda s, o: orders.accept(o, by=s.consumer),
    "dispute": lambda s, o: orders.dispute(o, by=s.consumer, reason="数据延迟"),
    "resolve": lambda s, o: orders.resolve(o, by=s.city.bureau, refund=False, resolution="有效"),
    "refund": lambda s, o: orders.resolve(
        o, by=s.city.bureau, refund=True, resolution="退款", reference="REF-1"
    ),
    "cancel_buyer": lambda s, o: orders.cancel(o, by=s.consumer, reason="不需要了"),
    "cancel_seller": lambda s, o: orders.cancel(o, by=s.operator, reason="无法交付"),
}
ALLOWED = {
    O.ORDERED: {"sign_buyer", "sign_seller", "cancel_buyer", "cancel_seller"},
    O.SIGNED: {"pay", "cancel_buyer", "cancel_seller"},
    O.PAYMENT_RECORDED: {"confirm", "cancel_seller"},
    O.DELIVERED: {"accept", "dispute"},
    O.DISPUTED: {"resolve", "refund"},
    O.SETTLED: set(),
    O.REFUNDED: set(),
    O.CANCELLED: set(),
}


def _at(shop, state):
    if state == O.ORDERED:
        return _order(shop)
    if state == O.SIGNED:
        return _signed(shop)
    if state == O.PAYMENT_RECORDED:
        return _paid(shop)
    order = _delivered(shop)
    if state == O.SETTLED:
        orders.accept(order, by=shop.consumer)
    elif state in (O.DISPUTED, O.REFUNDED):
        orders.dispute(order, by=shop.consumer, reason="数据延迟")
        if state == O.REFUNDED:
            orders.resolve(order, by=shop.city.bureau, refund=True, resolution="退", reference="R")
    order.refresh_from_db()
    return order


class _Undo(Exception):
    pass


def test_every_order_action_is_allowed_or_refused_as_specified(shop):
    for state in O:
        shop.consumer = shop.new_consumer()  # a buyer per state: each holds one open order
        if state == O.CANCELLED:
            order = _order(shop)
            orders.cancel(order, by=shop.consumer, reason="x")
            order.refresh_from_db()
        else:
            order = _at(shop, state)
        for name, action in ACTIONS.items():
            try:
                with transaction.atomic():
                    action(shop, order)
                    raise _Undo
            except _Undo:
                assert name in ALLOWED[state], f"{state}: {name} should be refused"
            except RuleViolation:
                assert name not in ALLOWED[state], f"{state}: {name} should be allowed"
            order.refresh_from_db()
            assert order.status == state


def test_a_refund_ends_the_subscription_and_a_standing_delivery_returns_for_acceptance(shop):
    order = _delivered(shop)
    orders.dispute(order, by=shop.consumer, reason="接口不可用")
    with pytest.raises(RuleViolation, match="退款流水号"):
        orders.resolve(order, by=shop.city.bureau, refund=True, resolution="退款")
    orders.resolve(order, by=shop.city.bureau, refund=False, resolution="已恢复服务")
    order.refresh_from_db()
    assert order.status == O.DELIVERED
    orders.dispute(order, by=shop.consumer, reason="仍不可用")
    orders.resolve(order, by=shop.city.bureau, refund=True, resolution="退款", reference="RF-9")
    order.refresh_from_db()
    assert order.status == O.REFUNDED and order.refund_reference == "RF-9"
    assert order.subscription.status == SubscriptionStatus.CANCELLED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="threads need a server database")
def test_acceptance_and_dispute_at_once_end_in_exactly_one_state(shop):
    order = _delivered(shop)
    start, outcomes = threading.Barrier(2), []

    def act(name, fn):
        try:
            start.wait()
            fn()
            outcomes.append(name)
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(
            target=act, args=("accepted", lambda: orders.accept(order, by=shop.consumer))
        ),
        threading.Thread(
            target=act,
            args=("disputed", lambda: orders.dispute(order, by=shop.consumer, reason="有误")),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["accepted", "refused"], ["disputed", "refused"])
    order.refresh_from_db()
    assert order.status == (O.SETTLED if "accepted" in outcomes else O.DISPUTED)
    assert connection.vendor == "postgresql"


def test_a_suspended_authorization_or_a_frozen_product_is_neither_sold_nor_delivered(shop):
    from pdao.authorization.models import Authorization
    from pdao.products.models import Product

    order = _paid(shop)
    Product.objects.filter(pk=shop.traded.pk).update(frozen_at=timezone.now())
    with pytest.raises(RuleViolation, match="应急冻结"):
        orders.confirm_payment(order, by=shop.consumer)
    order.refresh_from_db()
    assert order.status == O.PAYMENT_RECORDED and order.subscription is None
    Product.objects.filter(pk=shop.traded.pk).update(frozen_at=None)
    orders.cancel(order, by=shop.operator, reason="退款后重新下单")
    Authorization.objects.filter(pk=shop.authorization.pk).update(status="suspended")
    shop.traded.refresh_from_db()
    with pytest.raises(RuleViolation, match="授权不在有效状态"):
        _order(shop)


def test_tiers_price_the_quantity_bought(shop):
    plan = shop.traded.plans.get()
    PricePlan.objects.filter(pk=plan.pk).update(tiers=[[2001, "0.30"]])
    order = _order(shop, quantity=5000)
    assert order.amount_fen == 2000 * 40 + 3000 * 30


def test_hostile_form_input_gets_a_message_not_a_500(shop, client_for):
    buyer = client_for(shop.consumer)
    url = f"/market/p/{shop.traded.code}/order/"
    plan = shop.traded.plans.get().pk
    for listing in ("abc", "1.5", "-1", "９"):
        response = buyer.post(
            url, {"plan": plan, "months": "1", "quantity": "1", "venue": "on", "listing": listing}
        )
        assert response.status_code == 302, listing
    response = buyer.post(url, {"plan": plan, "months": "1", "quantity": "1\x00"})
    assert response.status_code == 400
    assert orders.Order.objects.count() == 0
    # A control character typed into the 说明书 is refused; one already in a contract's terms
    # (written before this rule) cannot stop the Word file from being written.
    from pdao.market import listings as market_listings
    from tests.market.conftest import SPEC

    with pytest.raises(RuleViolation, match="控制字符"):
        market_listings.save_specification(
            shop.traded, by=shop.operator, **(SPEC | {"use_purpose": "研\x0b判"})
        )
    order = _order(shop)
    orders.Order.objects.filter(pk=order.pk).update(
        terms=order.terms | {"exchange_order_no": "X\x01\x0b"}
    )
    order.refresh_from_db()
    assert papers.docx(contracts.paper(order))[:2] == b"PK"
