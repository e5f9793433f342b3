"""Traffic for supervision tests: two products, two consumers, real gateway calls."""

import pytest

from pdao.products import delivery, gateway
from pdao.products import services as products
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)


@pytest.fixture
def traffic(market):  # noqa: F811
    """Two products (an aggregate API and watermarked records), two consumers, real calls
    through the gateway, anchored in a batch."""
    aggregate = market.to_market(market.product())
    records = market.to_market(market.records_product())
    other = market.new_consumer()
    credentials = []
    for user in (market.consumer, other):
        for product in (aggregate, records):
            market.subscribe(product, consumer=user)
        credentials.append(products.create_credential(by=user, name="c")[0])
    for credential in credentials:
        for since in ("2024-01-01", "2024-02-01", "2024-03-01"):
            answer = gateway.call(credential, aggregate.code, {"since": since}, source_ip=None)
            assert answer.status == 200
        for district in ("城中区", "鱼峰区"):
            answer = gateway.call(credential, records.code, {"district": district, "n": 20},
                                  source_ip=None)  # fmt: skip
            assert answer.status == 200 and answer.body["watermarked"]
        answer = gateway.call(credential, aggregate.code, {"since": "x"}, source_ip=None)
        assert answer.status == 400
    delivery.anchor_pending()
    return market, aggregate, records
