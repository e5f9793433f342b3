"""Actions that cannot be undone ask once more, naming what will happen, and act only when
confirmed: 撤销授权, 责令下架, 吊销凭证, 停用 and 注销 — and activating a version that drops
more than half of the current rows says by how much."""

import pytest
from django.urls import reverse

from pdao.authorization.choices import AuthorizationStatus
from pdao.catalogue.choices import UpdateMode, VersionStatus
from pdao.catalogue.models import Version
from pdao.products import services as products
from pdao.products.choices import ProductStatus
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def asks_then_acts(client, url, data, *, says, done):
    """The first POST shows the confirmation and changes nothing; confirmed, it acts."""
    page = client.post(url, data)
    assert page.status_code == 200, page.status_code
    body = page.content.decode()
    assert 'data-testid="confirm"' in body and says in body
    assert "此操作不可撤销" in body and 'name="confirmed" value="yes"' in body
    assert not done()
    client.post(url, {**data, "confirmed": "yes"})
    assert done()


def test_revoking_an_authorization_asks_first(market, client_for):  # noqa: F811
    authorization = market.authorization
    asks_then_acts(
        client_for(market.city.bureau),
        reverse("authorization:authorization_revoke", args=[authorization.pk]),
        {"reason": "违反协议"},
        says="依托它的数据产品的调用立即被拒绝",
        done=lambda: (
            type(authorization).objects.get(pk=authorization.pk).status
            == AuthorizationStatus.REVOKED
        ),
    )


def test_ordering_a_product_off_the_market_asks_first(market, client_for):  # noqa: F811
    product = market.to_market(market.product())
    asks_then_acts(
        client_for(market.city.bureau),
        reverse("products:product_takedown", args=[product.code]),
        {"reason": "抽查不合规"},
        says="重新提交合规审查",
        done=lambda: type(product).objects.get(pk=product.pk).status == ProductStatus.DELISTED,
    )


def test_revoking_a_credential_asks_first(market, client_for):  # noqa: F811
    credential, _secret = products.create_credential(by=market.consumer, name="生产环境")
    asks_then_acts(
        client_for(market.consumer),
        reverse("products:credential_revoke", args=[credential.pk]),
        {"reason": "密钥外泄"},
        says="用它取得的访问令牌同时作废",
        done=lambda: not type(credential).objects.get(pk=credential.pk).is_active,
    )


def test_deactivating_a_user_or_an_organisation_asks_first_reactivating_does_not(
    market,  # noqa: F811
    client_for,
):
    bureau = client_for(market.city.bureau)
    user = market.consumer
    asks_then_acts(
        bureau,
        reverse("accounts:user_set_active", args=[user.pk]),
        {"reason": "离职"},
        says="不能再登录",
        done=lambda: not type(user).objects.get(pk=user.pk).is_active,
    )
    bureau.post(
        reverse("accounts:user_set_active", args=[user.pk]), {"reason": "复职", "active": "on"}
    )
    assert type(user).objects.get(pk=user.pk).is_active  # no question to undo it
    asked = bureau.post(  # "false" is as the form reads it: deactivating, so asked
        reverse("accounts:user_set_active", args=[user.pk]), {"reason": "离职", "active": "false"}
    )
    assert 'data-testid="confirm"' in asked.content.decode()
    assert type(user).objects.get(pk=user.pk).is_active  # no question to undo it
    organisation = market.consumer.organisation
    asks_then_acts(
        bureau,
        reverse("accounts:organisation_set_active", args=[organisation.pk]),
        {"reason": "单位撤销"},
        says="所有用户立即不能登录",
        done=lambda: not type(organisation).objects.get(pk=organisation.pk).is_active,
    )


def test_a_version_that_drops_most_rows_says_how_many(market, client_for):  # noqa: F811
    resource = market.city.social
    current = resource.active_version
    smaller = Version.objects.create(
        resource=resource, number=current.number + 1, mode=UpdateMode.REPLACE,
        rows=current.rows // 4, status=VersionStatus.READY, sha256="1" * 64,
        path=current.path, bytes=current.bytes, source_format=current.source_format,
        encoding=current.encoding, created_by=market.city.provider,
    )  # fmt: skip
    page = client_for(market.city.provider).post(
        reverse("catalogue:version_activate", args=[smaller.pk])
    )
    body = page.content.decode()
    assert f"{current.rows:,} 行" in body and f"{smaller.rows:,} 行" in body
    assert "减少 75%" in body
    assert type(resource).objects.get(pk=resource.pk).active_version == current
