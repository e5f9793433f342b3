"""退出机制: an authorization's exit leaves nothing of it usable — each part checked by trying
to use it — and records what was done: the derived files' hashes on the ledger with their
lineage kept, the operator's confirmation, the bureau's sign-off and the exit report."""

import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from pdao.authorization import exits
from pdao.authorization import services as authorizations
from pdao.authorization.choices import AuthorizationStatus, ExitCause, ExitStatus
from pdao.authorization.models import Authorization, Exit
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.market import listings, orders
from pdao.market.choices import ListingStatus, OrderStatus
from pdao.notifications.models import Notification
from pdao.products import gateway
from pdao.products import services as products
from pdao.products.choices import ProductStatus, SubscriptionStatus
from pdao.products.models import Release
from pdao.zone import services as zone
from tests.market.conftest import ready
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
SINCE = {"since": "2024-02-01"}
DERIVED_SQL = (
    "SELECT 身份证号, 区县, AVG(缴费金额) AS 月均缴费 FROM 社保缴纳记录 GROUP BY 身份证号, 区县"
)


@pytest.fixture
def operating(market):  # noqa: F811
    """The authorization in full use: a listed product called by two consumers (one of whom
    also subscribes to another operator's product), a listing on an exchange, an open order and
    a derived dataset in the zone."""
    product = market.to_market(market.product())
    product = ready(market, product)
    only = market.subscribe(product)
    only_credential, _ = products.create_credential(by=market.consumer, name="仅此产品")
    assert gateway.call(only_credential, product.code, SINCE, source_ip=None).status == 200
    # A second consumer also buys from another authorization, which does not exit.
    other_consumer = market.new_consumer()
    market.subscribe(product, other_consumer)
    other_credential, _ = products.create_credential(by=other_consumer, name="多个产品")
    keeps = market.city.activate(
        market.city.to_decision(market.city.draft((market.city.social, ["aggregate"])))
    )
    exiting, market.authorization = market.authorization, keeps
    elsewhere = market.to_market(market.product(name="另一产品"))
    market.authorization = exiting
    market.subscribe(elsewhere, other_consumer)
    listing = listings.create_listing(product, by=market.operator, exchange="北部湾大数据交易中心")
    order = orders.place(product, by=market.new_consumer(), plan=product.plans.first(), months=1)
    derived = zone.save_derived(
        market.authorization, by=market.operator, name="月均缴费", sql=DERIVED_SQL
    )
    return {
        "market": market, "product": product, "only": only, "only_credential": only_credential,
        "other_credential": other_credential, "elsewhere": elsewhere, "listing": listing,
        "order": order, "derived": derived,
    }  # fmt: skip


def test_the_exit_leaves_nothing_of_the_authorization_usable(operating):
    world, product = operating["market"], operating["product"]
    authorization = world.authorization
    derived = operating["derived"]
    file = Path(settings.DATA_DIR) / "derived" / derived.path
    assert file.exists() and Release.objects.filter(product=product).exists()

    exit_ = exits.start(
        authorization, by=world.city.bureau, cause=ExitCause.OPERATOR_LEFT, reason="公司业务调整"
    )

    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.REVOKED
    # The product: delisted, never listed again, its cached answers gone, calls refused.
    product.refresh_from_db()
    assert product.status == ProductStatus.DELISTED
    with pytest.raises(RuleViolation):
        products.list_product(product, by=world.operator)
    assert not Release.objects.filter(product=product).exists()
    refused = gateway.call(operating["other_credential"], product.code, SINCE, source_ip=None)
    assert refused.status >= 400
    # Subscriptions: ended, consumers told; no new one possible.
    only = operating["only"]
    only.refresh_from_db()
    assert only.status == SubscriptionStatus.CANCELLED
    assert not product.subscriptions.filter(status=SubscriptionStatus.ACTIVE).exists()
    assert Notification.objects.filter(
        recipient__organisation=only.consumer, subject__contains=product.name
    ).exists()
    with pytest.raises(RuleViolation):
        world.subscribe(product)
    # Credentials: the one that served only this product is revoked, its tokens deleted; the
    # one that still serves another product stays, and still cannot reach this one.
    only_credential = operating["only_credential"]
    only_credential.refresh_from_db()
    assert only_credential.revoked_at is not None
    assert not only_credential.application.accesstoken_set.exists()
    assert gateway.call(only_credential, product.code, SINCE, source_ip=None).status >= 400
    other = operating["other_credential"]
    other.refresh_from_db()
    assert other.revoked_at is None
    assert gateway.call(other, operating["elsewhere"].code, SINCE, source_ip=None).status == 200
    # The listing on the exchange and the undelivered order.
    operating["listing"].refresh_from_db()
    assert operating["listing"].status == ListingStatus.DELISTED
    operating["order"].refresh_from_db()
    assert operating["order"].status == OrderStatus.CANCELLED
    # The zone: the derived file deleted, its hash on the ledger, the lineage kept; the
    # workspace refuses the operator.
    assert not file.exists()
    derived.refresh_from_db()
    assert derived.destroyed_at is not None and derived.lineage
    destroyed = LedgerEntry.objects.get(type="zone.derived_destroyed")
    assert destroyed.content_hash == derived.sha256
    query = zone.run_query(
        authorization, by=world.operator, form="aggregate",
        sql="SELECT 区县, COUNT(*) AS n FROM 社保缴纳记录 GROUP BY 区县",
    )  # fmt: skip
    assert query.decision == "refused" and query.rule == "authorization.revoked"
    with pytest.raises(RuleViolation):
        zone.save_derived(authorization, by=world.operator, name="再造", sql=DERIVED_SQL)
    # Nothing remains; the record says what was done.
    assert exits.remaining(authorization) == []
    counts = {kind: len(items) for kind, items in exit_.steps.items()}
    assert counts == {
        "products": 1, "listings": 1, "orders": 1, "subscriptions": 2, "credentials": 1,
        "derived": 1,
    }  # fmt: skip
    assert LedgerEntry.objects.filter(type="authorization.exit").exists()
    with pytest.raises(RuleViolation, match="已启动退出"):
        exits.start(authorization, by=world.city.bureau, cause=ExitCause.REVOKED, reason="再次")


def test_the_operator_confirms_then_the_bureau_signs_off_and_the_report_is_kept(operating):
    world = operating["market"]
    exit_ = exits.start(
        world.authorization, by=world.city.bureau, cause=ExitCause.REVOKED, reason="严重违约"
    )
    with pytest.raises(RuleViolation, match="运营单位确认"):
        exits.sign_off(exit_, by=world.city.bureau)
    stranger = world.new_consumer()
    with pytest.raises(RuleViolation):
        exits.confirm(exit_, by=stranger, statement="x")
    exits.confirm(exit_, by=world.operator, statement="本单位未在平台外留存相关数据。")
    closed = exits.sign_off(exit_, by=world.city.bureau, note="核查无误")
    assert closed.status == ExitStatus.CLOSED
    word, pdf = exits.report_bytes(closed, "docx"), exits.report_bytes(closed, "pdf")
    assert pdf.startswith(b"%PDF")
    from docx import Document

    document = Document(io.BytesIO(word))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert operating["derived"].sha256 in cells and operating["product"].code in cells
    entry = LedgerEntry.objects.get(type="authorization.exit_report")
    assert entry.content_hash == hashlib.sha256(word).hexdigest() == closed.report_sha256


def test_an_expired_term_starts_the_exit_by_itself(operating):
    world = operating["market"]
    authorization = world.authorization
    Authorization.objects.filter(pk=authorization.pk).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    assert authorizations.expire_if_due(authorization.pk)
    exit_ = Exit.objects.get(authorization=authorization)
    assert exit_.cause == ExitCause.EXPIRED and exit_.started_by is None
    assert exits.remaining(authorization) == []
    with pytest.raises(RuleViolation, match="尚未到期"):
        exits.start(
            operating["elsewhere"].authorization, by=world.city.bureau,
            cause=ExitCause.EXPIRED, reason="x",
        )  # fmt: skip


def test_an_exit_for_a_failed_evaluation_needs_one_and_an_early_exit_is_not_renewed(operating):
    world = operating["market"]
    bureau = world.city.bureau
    with pytest.raises(RuleViolation, match="不合格"):
        exits.start(
            world.authorization, by=bureau, cause=ExitCause.FAILED_EVALUATION, reason="评估"
        )
    exits.start(world.authorization, by=bureau, cause=ExitCause.REVOKED, reason="严重违约")
    with pytest.raises(RuleViolation, match="不能续期"):
        authorizations.renew(world.authorization, by=world.operator)
    with pytest.raises(RuleViolation, match="已终止"):
        products.save_plan(
            operating["product"], by=world.operator, name="再定价", charging="free",
            calls_per_month=10, rate_per_minute=10,
        )  # fmt: skip


def test_a_derived_file_another_authorization_shares_stays_for_it(operating):
    world = operating["market"]
    keeps = operating["elsewhere"].authorization
    same = zone.save_derived(keeps, by=world.operator, name="同款衍生", sql=DERIVED_SQL)
    assert same.path == operating["derived"].path  # kept by content: one file for both
    exit_ = exits.start(
        world.authorization, by=world.city.bureau, cause=ExitCause.REVOKED, reason="违约"
    )
    assert exit_.steps["derived"][0]["shared"] is True
    assert (Path(settings.DATA_DIR) / "derived" / same.path).exists()
    query = zone.run_query(
        keeps, by=world.operator, form="aggregate",
        sql="SELECT 区县, AVG(月均缴费) AS a FROM 同款衍生 GROUP BY 区县",
    )  # fmt: skip
    assert query.decision == "released"
    assert exits.remaining(world.authorization) == []
    # Once the other dataset goes too, so does the file.
    exits.start(keeps, by=world.city.bureau, cause=ExitCause.REVOKED, reason="违约")
    assert not (Path(settings.DATA_DIR) / "derived" / same.path).exists()


def test_no_listing_of_an_exited_product_moves_forward(operating):
    world = operating["market"]
    exits.start(world.authorization, by=world.city.bureau, cause=ExitCause.REVOKED, reason="违约")
    with pytest.raises(RuleViolation, match="不在有效状态"):
        listings.create_listing(operating["product"], by=world.operator, exchange="另一交易所")
