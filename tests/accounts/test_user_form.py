"""创建用户: every role with every type of organisation is either created or refused with a
message naming the roles, and choosing an organisation offers only the roles it may hold."""

import itertools

import pytest
from django.urls import reverse

from pdao.accounts.choices import ROLES_BY_ORGANISATION_TYPE, OrganisationType
from pdao.accounts.models import Organisation, User
from pdao.core.permissions import Role
from tests.authorization.conftest import _data_dir, city  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisations(city):  # noqa: F811
    found = {}
    for n, kind in enumerate(OrganisationType):
        found[kind] = Organisation.objects.filter(type=kind, is_active=True).first() or (
            Organisation.objects.create(name=f"测试组织{n}", type=kind, credit_code=f"TEST{n:014d}")
        )
    return found


def test_every_role_with_every_organisation_type_is_created_or_refused_clearly(
    city,  # noqa: F811
    organisations,
    client_for,
):
    client = client_for(city.bureau)
    url = reverse("accounts:user_create")
    for n, (kind, role) in enumerate(itertools.product(OrganisationType, Role)):
        organisation = organisations[kind]
        response = client.post(url, {
            "username": f"u{n}", "display_name": "测试", "organisation": organisation.pk,
            "email": "", "phone": "", "roles": [role.value], "password": "Long-enough-pass-2026",
        })  # fmt: skip
        allowed = role in ROLES_BY_ORGANISATION_TYPE[kind]
        if allowed:
            assert response.status_code == 302, (kind, role)
            assert User.objects.get(username=f"u{n}").organisation == organisation
        else:
            assert response.status_code == 200, (kind, role)
            page = response.content.decode()
            assert "不能担任" in page and str(role.label) in page, (kind, role)
            assert not User.objects.filter(username=f"u{n}").exists()


def test_choosing_an_organisation_offers_only_its_roles(city, organisations, client_for):  # noqa: F811
    client = client_for(city.bureau)
    url = reverse("accounts:user_create")
    for kind, organisation in organisations.items():
        page = client.get(url, {"organisation": organisation.pk}).content.decode()
        offered = {r for r in Role if f'value="{r.value}"' in page}
        assert offered == set(ROLES_BY_ORGANISATION_TYPE[kind]), kind
    page = client.get(url).content.decode()
    assert all(f'value="{r.value}"' in page for r in Role)  # none chosen yet: all
    assert 'hx-get="/accounts/users/new/"' in page or "hx-get=" in page
