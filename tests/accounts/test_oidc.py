import pytest

from pdao.accounts.backends import OIDCBackend
from pdao.core.permissions import Role
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def backend(settings):
    settings.OIDC_USERNAME_CLAIM = "preferred_username"
    settings.OIDC_RP_CLIENT_ID = "pdao"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://sso.example/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://sso.example/userinfo"
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    return OIDCBackend()


def test_identity_maps_to_the_existing_active_account(backend):
    user = user_with_role(Role.PROVIDER)
    matched = backend.filter_users_by_claims({"preferred_username": user.username})
    assert list(matched) == [user]


def test_identity_without_an_account_gets_none_and_creates_nothing(backend):
    assert not backend.filter_users_by_claims({"preferred_username": "stranger"}).exists()
    assert backend.create_user({"preferred_username": "stranger"}) is None


def test_deactivated_account_is_not_matched(backend):
    user = user_with_role(Role.PROVIDER, is_active=False)
    assert not backend.filter_users_by_claims({"preferred_username": user.username}).exists()


def test_claims_without_the_username_claim_match_nobody(backend):
    user_with_role(Role.PROVIDER)
    assert not backend.filter_users_by_claims({"email": "x@example"}).exists()
