"""The market's pages through HTTP: the public search and filters, a product page with its 说明书
and registration, and the trade driven by form posts — order, both signatures, payment, its
confirmation and acceptance — with refusals shown and nothing changed."""

import pytest
from django.utils import timezone

from pdao.market import listings
from pdao.market.choices import ListingStatus, OrderStatus
from pdao.market.models import Order

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_public_market_filters_by_domain_type_purpose_and_price(shop, client):
    product = shop.traded
    page = _text(client.get("/market/"))
    assert product.name in page
    domain = product.authorization.application.domain
    assert product.name in _text(client.get(f"/market/?domain={domain}&kind=api"))
    other = "transport" if domain != "transport" else "health"
    assert product.name not in _text(client.get(f"/market/?domain={other}"))
    assert product.name not in _text(client.get("/market/?purpose=public_welfare"))
    assert product.name in _text(client.get("/market/?purpose=industry&min=0.3&max=0.5"))
    assert product.name not in _text(client.get("/market/?min=0.41"))
    assert product.name in _text(client.get("/market/?min=abc&max=１"))  # ignored, not a 500
    detail = _text(client.get(f"/market/p/{product.code}/"))
    registration = listings.current_registration(product)
    assert registration.code in detail
    assert "企业用工规模研判" in detail  # the 说明书's purpose of use
    assert "0.4" in detail


def test_a_trade_through_the_forms(shop, client_for):
    product = shop.traded
    buyer, seller = client_for(shop.consumer), client_for(shop.operator)
    response = buyer.post(
        f"/market/p/{product.code}/order/",
        {"plan": product.plans.get().pk, "months": "12", "quantity": "2500", "venue": "off"},
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/market/orders/{order.code}/"
    assert "1,000.00" in _text(buyer.get(f"/market/orders/{order.code}/"))
    for client in (buyer, seller):
        client.post(f"/market/orders/{order.code}/sign/")
    order.refresh_from_db()
    assert order.status == OrderStatus.SIGNED
    today = timezone.localdate().isoformat()
    response = seller.post(
        f"/market/orders/{order.code}/pay/",
        {"paid_on": today, "amount": "999", "reference": "R1"},
        follow=True,
    )
    assert "与合同金额 1,000.00 元不符" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.SIGNED
    seller.post(
        f"/market/orders/{order.code}/pay/", {"paid_on": today, "amount": "1000", "reference": "R1"}
    )
    buyer.post(f"/market/orders/{order.code}/confirm/")
    buyer.post(f"/market/orders/{order.code}/accept/")
    order.refresh_from_db()
    assert order.status == OrderStatus.SETTLED
    contract = buyer.get(f"/market/orders/{order.code}/contract.pdf")
    assert contract["Content-Type"] == "application/pdf" and contract.content.startswith(b"%PDF")
    assert order.code in _text(seller.get("/market/orders/"))
    # Someone else's order is not there at all.
    assert client_for(shop.new_consumer()).get(f"/market/orders/{order.code}/").status_code == 404


def test_listing_pages_for_the_operator_the_bureau_and_the_public(shop, client, client_for):
    product = shop.traded
    seller = client_for(shop.operator)
    assert product.code in _text(seller.get("/market/listings/"))
    seller.post(f"/market/p/{product.code}/list/", {"exchange": "北部湾大数据交易中心"})
    listing = product.listings.get()
    assert client.get(f"/market/l/{listing.code}/").status_code == 404  # a draft is not public
    seller.post(f"/market/l/{listing.code}/prepare/")
    listing.refresh_from_db()
    package = seller.get(f"/market/l/{listing.code}/package.zip")
    assert package.content[:2] == b"PK"
    assert client_for(shop.consumer).get(f"/market/l/{listing.code}/package.zip").status_code == 404
    for to in ("submitted", "reviewing"):
        seller.post(f"/market/l/{listing.code}/advance/", {"to": to})
    seller.post(f"/market/l/{listing.code}/advance/", {"to": "notice"})
    response = seller.post(f"/market/l/{listing.code}/advance/", {"to": "bogus"}, follow=True)
    assert "请选择挂牌进展" in response.content.decode()
    listing.refresh_from_db()
    assert listing.status == ListingStatus.NOTICE
    public = _text(client.get(f"/market/l/{listing.code}/"))
    assert "公示期" in public and "北部湾大数据交易中心" in public
    bureau = client_for(shop.city.bureau)
    assert product.code in _text(bureau.get("/market/registrations/"))
    assert _text(bureau.get("/market/related/"))
    assert _text(seller.get(f"/market/p/{product.code}/specification/"))


def test_hostile_values_in_forms_and_exports_are_refused_or_harmless(shop, client, client_for):
    from pdao.audit.export import safe_cell

    assert safe_cell("理由\ufffe\uffff") == "理由"  # the audit export writes every reason
    buyer = client_for(shop.consumer)
    url = f"/market/p/{shop.traded.code}/order/"
    plan = shop.traded.plans.get().pk
    hostile = (("١٢", "1", ""), ("1", "1_000", ""), ("1", "1", "9" * 5000))
    for months, quantity, listing in hostile:
        venue = "on" if listing else "off"
        form = {"plan": plan, "months": months, "quantity": quantity, "venue": venue}
        response = buyer.post(url, form | {"listing": listing})
        assert response.status_code == 302
    assert Order.objects.count() == 0
    # A listing is not public before its notice.
    seller = client_for(shop.operator)
    seller.post(f"/market/p/{shop.traded.code}/list/", {"exchange": "北部湾大数据交易中心"})
    listing = shop.traded.listings.get()
    seller.post(f"/market/l/{listing.code}/prepare/")
    seller.post(f"/market/l/{listing.code}/advance/", {"to": "submitted"})
    assert client.get(f"/market/l/{listing.code}/").status_code == 404
    seller.post(f"/market/l/{listing.code}/advance/", {"to": "delisted", "reason": "内部原因"})
    assert client.get(f"/market/l/{listing.code}/").status_code == 404
    assert "内部原因" not in client.get(f"/market/p/{shop.traded.code}/").content.decode()
