"""Each emergency action holds at the very next request through the gateway, the zone and the
pages, and lifting it restores access; both are audited and anchored."""

import pytest
from django.test import Client

from pdao.audit.models import AuditEvent
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.products import gateway
from pdao.products import services as products
from pdao.supervision import emergency
from pdao.zone import services as zone
from tests.conftest import AUTH_BACKEND
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
SQL = "SELECT 区县, COUNT(*) AS n FROM 社保缴纳记录 GROUP BY 区县"


@pytest.fixture
def live(market):  # noqa: F811
    product = market.to_market(market.product())
    market.subscribe(product)
    credential, secret = products.create_credential(by=market.consumer, name="x")
    return market, product, credential, secret


def call(credential, product):
    return gateway.call(credential, product.code, {"since": "2024-02-01"}, source_ip=None)


def _anchored(action, event):
    return LedgerEntry.objects.filter(type=f"emergency.{event}", object_id=str(action.pk)).exists()


def test_suspending_an_authorization_stops_gateway_and_zone_until_lifted(live):
    shop, product, credential, _ = live
    action = emergency.take("suspend_authorization", shop.authorization.code,
                            by=shop.supervisor, reason="疑似批量导出")  # fmt: skip

    assert call(credential, product).body["code"] == "authorization_suspended"
    query = zone.run_query(shop.authorization, by=shop.operator, sql=SQL, form="aggregate")
    assert query.decision == "refused" and query.rule == "authorization.suspended"
    assert _anchored(action, "take")

    with pytest.raises(RuleViolation, match="市数据局"):
        emergency.lift(action, by=shop.supervisor, reason="x")
    emergency.lift(action, by=shop.city.bureau, reason="核查无异常")

    assert call(credential, product).status == 200
    again = zone.run_query(shop.authorization, by=shop.operator, sql=SQL, form="aggregate")
    assert again.decision == "released"
    assert _anchored(action, "lift")


def test_freezing_a_product_stops_its_calls_and_hides_it(live):
    shop, product, credential, _ = live
    action = emergency.take("freeze_product", product.code, by=shop.supervisor, reason="投诉")
    answer = call(credential, product)
    assert answer.status == 403 and answer.body["code"] == "product_frozen"
    assert product.code not in Client().get("/products/").content.decode()
    with pytest.raises(RuleViolation, match="已在同一应急处置"):
        emergency.take("freeze_product", product.code, by=shop.supervisor, reason="again")
    emergency.lift(action, by=shop.city.bureau, reason="已整改")
    assert call(credential, product).status == 200
    assert product.code in Client().get("/products/").content.decode()


def test_suspending_a_credential_ends_its_tokens_at_once(live):
    shop, product, credential, secret = live
    client = Client()
    token = client.post("/gateway/oauth/token", {
        "grant_type": "client_credentials", "client_id": credential.application.client_id,
        "client_secret": secret}).json()["access_token"]  # fmt: skip
    url = f"/gateway/v1/products/{product.code}"

    def status():
        return client.post(url, {"params": {"since": "2024-02-01"}},
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"}).status_code  # fmt: skip

    assert status() == 200
    action = emergency.take("suspend_credential", credential.application.client_id,
                            by=shop.supervisor, reason="密钥疑似泄露")  # fmt: skip
    assert status() == 401
    emergency.lift(action, by=shop.city.bureau, reason="已轮换")
    token = client.post("/gateway/oauth/token", {
        "grant_type": "client_credentials", "client_id": credential.application.client_id,
        "client_secret": secret}).json()["access_token"]  # fmt: skip
    assert status() == 200


def test_locking_a_user_signs_them_out_at_the_next_page(live):
    shop = live[0]
    client = Client()
    client.force_login(shop.operator, backend=AUTH_BACKEND)
    assert client.get("/zone/").status_code == 200
    action = emergency.take("lock_user", shop.operator.username, by=shop.supervisor,
                            reason="账号异常登录")  # fmt: skip
    assert client.get("/zone/").status_code == 302  # back to the sign-in page
    emergency.lift(action, by=shop.city.bureau, reason="本人确认")
    client.force_login(shop.operator, backend=AUTH_BACKEND)
    assert client.get("/zone/").status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"emergency.take", "emergency.lift"} <= actions


def test_emergency_actions_need_the_supervisor_a_reason_and_a_real_target(live):
    shop = live[0]
    with pytest.raises(RuleViolation):
        emergency.take("freeze_product", live[1].code, by=shop.operator, reason="x")
    with pytest.raises(RuleViolation, match="理由"):
        emergency.take("freeze_product", live[1].code, by=shop.supervisor, reason=" ")
    with pytest.raises(RuleViolation, match="没有产品"):
        emergency.take("freeze_product", "LZ-DP-0000-0000", by=shop.supervisor, reason="x")
