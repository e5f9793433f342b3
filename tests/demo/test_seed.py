from pdao.accounts import credit_code
from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation, User
from pdao.core.permissions import Role
from tests.demo.conftest import PASSWORD


def test_seed_demo_creates_liuzhou_bodies_with_valid_codes(demo):
    types = set(Organisation.objects.values_list("type", flat=True))
    assert set(OrganisationType.values) <= types
    assert Organisation.objects.filter(type=OrganisationType.PROVIDER).count() >= 8
    assert Organisation.objects.filter(type=OrganisationType.OPERATOR).count() == 3
    assert Organisation.objects.filter(type=OrganisationType.CONSUMER).count() == 3
    for code in Organisation.objects.values_list("credit_code", flat=True):
        assert credit_code.check(code) is None, code
    assert Organisation.objects.filter(name="柳州市数据局", verified_at__isnull=False).exists()


def test_seed_demo_gives_every_role_a_user_who_can_sign_in(demo):
    for role in Role:
        user = User.objects.filter(role_grants__role=role).first()
        assert user is not None, role
        assert user.check_password(PASSWORD)


def test_seed_demo_is_idempotent(demo):
    counts = (Organisation.objects.count(), User.objects.count())
    demo.seed_again()
    assert (Organisation.objects.count(), User.objects.count()) == counts
