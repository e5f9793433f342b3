import factory

from pdao.accounts import credit_code
from pdao.accounts.choices import ROLES_BY_ORGANISATION_TYPE, OrganisationType
from pdao.accounts.models import Organisation, RoleGrant, User
from pdao.core.permissions import Role

PASSWORD = "Test-Passw0rd!x"

# A member of this kind of organisation can hold each role.
ORGANISATION_TYPE_FOR_ROLE = {
    role: next(t for t in OrganisationType if role in ROLES_BY_ORGANISATION_TYPE[t])
    for role in Role
}


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试单位{n:04d}")
    type = OrganisationType.OPERATOR
    credit_code = factory.Sequence(lambda n: credit_code.make("91", "450200", f"{n + 1:08d}"))
    division_code = "450200"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            RoleGrant.objects.create(user=self, role=role)


def user_with_role(role: Role, **kwargs) -> User:
    """A user holding `role` in a fresh organisation of a type that allows it."""
    organisation = kwargs.pop("organisation", None) or OrganisationFactory(
        type=ORGANISATION_TYPE_FOR_ROLE[role]
    )
    return UserFactory(organisation=organisation, roles=[role], **kwargs)
