import pytest

from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)


@pytest.fixture
def industry(market):  # noqa: F811
    """The products' market with an active 产业 (charged) authorization."""
    application = market.city.to_decision(
        market.city.draft((market.city.social, ["aggregate"]), purpose="industry")
    )
    market.authorization = market.city.activate(application)
    return market
