from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from pdao.accounts import services
from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation, RoleGrant, User
from pdao.audit.models import AuditEvent
from pdao.core.permissions import Perm, Role
from tests.factories import OrganisationFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

VALID_CODE = "91450200MA5N00015Q"


def _events(action):
    return list(AuditEvent.objects.filter(action=action))


def _failing_audit():
    """Make the next audit write fail as a database error would."""
    return mock.patch(
        "pdao.audit.services.AuditEvent.objects.create",
        side_effect=IntegrityError("audit write failed"),
    )


def test_create_organisation_writes_audit_event(bureau_admin):
    organisation = services.create_organisation(
        by=bureau_admin,
        name="柳州测试科技有限公司",
        type=OrganisationType.OPERATOR,
        credit_code=VALID_CODE,
        division_code="450200",
    )
    [event] = _events(services.ORGANISATION_CREATE)
    assert event.object_type == "accounts.organisation"
    assert event.object_id == str(organisation.pk)
    assert event.actor_id == bureau_admin.pk
    assert event.organisation_name == bureau_admin.organisation.name
    assert event.roles == "bureau_admin"
    assert "柳州测试科技有限公司" in event.summary


def test_create_organisation_rolls_back_when_audit_fails(bureau_admin):
    with _failing_audit(), pytest.raises(IntegrityError):
        services.create_organisation(
            by=bureau_admin,
            name="柳州测试科技有限公司",
            type=OrganisationType.OPERATOR,
            credit_code=VALID_CODE,
            division_code="450200",
        )
    assert not Organisation.objects.filter(name="柳州测试科技有限公司").exists()


def test_create_organisation_refuses_invalid_credit_code(bureau_admin):
    with pytest.raises(ValidationError) as raised:
        services.create_organisation(
            by=bureau_admin,
            name="错误代码公司",
            type=OrganisationType.OPERATOR,
            credit_code="91450200MA5N00015X",
            division_code="450200",
        )
    assert "credit_code" in raised.value.message_dict
    assert not AuditEvent.objects.exists()


def test_verify_organisation_records_who_and_when(bureau_admin):
    organisation = OrganisationFactory()
    services.verify_organisation(organisation, by=bureau_admin)
    organisation.refresh_from_db()
    assert organisation.verified_by == bureau_admin
    assert organisation.verified_at is not None
    assert len(_events(services.ORGANISATION_VERIFY)) == 1


def test_verify_organisation_rolls_back_when_audit_fails(bureau_admin):
    organisation = OrganisationFactory()
    with _failing_audit(), pytest.raises(IntegrityError):
        services.verify_organisation(organisation, by=bureau_admin)
    organisation.refresh_from_db()
    assert organisation.verified_at is None


def test_verify_twice_is_refused(bureau_admin):
    organisation = OrganisationFactory()
    services.verify_organisation(organisation, by=bureau_admin)
    with pytest.raises(services.RuleViolation):
        services.verify_organisation(organisation, by=bureau_admin)
    assert len(_events(services.ORGANISATION_VERIFY)) == 1


def test_update_organisation_records_field_changes(bureau_admin):
    organisation = OrganisationFactory(address="旧地址")
    services.update_organisation(organisation, by=bureau_admin, address="新地址")
    [event] = _events(services.ORGANISATION_UPDATE)
    assert event.changes == {"address": ["旧地址", "新地址"]}


def test_changing_credit_code_withdraws_verification(bureau_admin):
    organisation = OrganisationFactory()
    services.verify_organisation(organisation, by=bureau_admin)
    services.update_organisation(organisation, by=bureau_admin, credit_code=VALID_CODE)
    organisation.refresh_from_db()
    assert organisation.verified_at is None and organisation.verified_by is None


def test_type_change_refused_while_members_hold_disallowed_roles(bureau_admin):
    operator = user_with_role(Role.OPERATOR)
    with pytest.raises(services.RuleViolation):
        services.update_organisation(
            operator.organisation, by=bureau_admin, type=OrganisationType.CONSUMER
        )
    operator.organisation.refresh_from_db()
    assert operator.organisation.type == OrganisationType.OPERATOR


def test_create_user_grants_roles_and_audits_each(bureau_admin):
    organisation = OrganisationFactory(type=OrganisationType.PROVIDER)
    user = services.create_user(
        by=bureau_admin,
        username="newprovider",
        organisation=organisation,
        password="Str0ng-Passw0rd!",
        roles=(Role.PROVIDER, Role.INDUSTRY_LEAD),
    )
    assert user.roles == {Role.PROVIDER, Role.INDUSTRY_LEAD}
    assert user.check_password("Str0ng-Passw0rd!")
    assert len(_events(services.USER_CREATE)) == 1
    assert len(_events(services.USER_GRANT_ROLE)) == 2


def test_create_user_rejects_weak_password(bureau_admin):
    with pytest.raises(ValidationError):
        services.create_user(
            by=bureau_admin,
            username="weak",
            organisation=OrganisationFactory(),
            password="password123",
        )
    assert not User.objects.filter(username="weak").exists()


def test_create_user_rolls_back_entirely_when_a_role_is_not_allowed(bureau_admin):
    with pytest.raises(services.RuleViolation):
        services.create_user(
            by=bureau_admin,
            username="wrongrole",
            organisation=OrganisationFactory(type=OrganisationType.CONSUMER),
            password="Str0ng-Passw0rd!",
            roles=(Role.CONSUMER, Role.BUREAU_ADMIN),
        )
    assert not User.objects.filter(username="wrongrole").exists()
    assert not _events(services.USER_CREATE)


@pytest.mark.parametrize(
    ("org_type", "role"),
    [
        (OrganisationType.OPERATOR, Role.BUREAU_ADMIN),
        (OrganisationType.CONSUMER, Role.OPERATOR),
        (OrganisationType.PROVIDER, Role.SUPERVISOR),
        (OrganisationType.REVIEWER_BODY, Role.PROVIDER),
    ],
)
def test_grant_role_refuses_roles_the_organisation_type_cannot_hold(bureau_admin, org_type, role):
    user = UserFactory(organisation=OrganisationFactory(type=org_type))
    with pytest.raises(services.RuleViolation):
        services.grant_role(user, role, by=bureau_admin)
    assert not RoleGrant.objects.filter(user=user).exists()


def test_grant_role_rolls_back_when_audit_fails(bureau_admin):
    user = UserFactory(organisation=OrganisationFactory(type=OrganisationType.OPERATOR))
    with _failing_audit(), pytest.raises(IntegrityError):
        services.grant_role(user, Role.OPERATOR, by=bureau_admin)
    assert not RoleGrant.objects.filter(user=user).exists()


def test_revoke_role_takes_permissions_away(bureau_admin):
    supervisor = user_with_role(Role.SUPERVISOR)
    assert supervisor.has_perm(Perm.AUDIT_VIEW)
    services.revoke_role(supervisor, Role.SUPERVISOR, by=bureau_admin)
    fresh = User.objects.get(pk=supervisor.pk)
    assert not fresh.has_perm(Perm.AUDIT_VIEW)
    assert len(_events(services.USER_REVOKE_ROLE)) == 1


def test_bureau_admin_cannot_revoke_own_admin_role(bureau_admin):
    with pytest.raises(services.RuleViolation):
        services.revoke_role(bureau_admin, Role.BUREAU_ADMIN, by=bureau_admin)
    assert Role.BUREAU_ADMIN in User.objects.get(pk=bureau_admin.pk).roles


def test_deactivated_organisation_takes_every_role_from_its_members(bureau_admin):
    supervisor = user_with_role(Role.SUPERVISOR)
    services.set_organisation_active(
        supervisor.organisation, active=False, by=bureau_admin, reason="核查期间暂停"
    )
    fresh = User.objects.get(pk=supervisor.pk)
    assert fresh.roles == frozenset()
    assert not fresh.has_perm(Perm.AUDIT_VIEW)
    [event] = _events(services.ORGANISATION_DEACTIVATE)
    assert "核查期间暂停" in event.summary


def test_set_user_active_refuses_to_lock_oneself_out(bureau_admin):
    with pytest.raises(services.RuleViolation):
        services.set_user_active(bureau_admin, active=False, by=bureau_admin, reason="x")
    bureau_admin.refresh_from_db()
    assert bureau_admin.is_active


def test_set_user_active_rolls_back_when_audit_fails(bureau_admin):
    user = user_with_role(Role.OPERATOR)
    with _failing_audit(), pytest.raises(IntegrityError):
        services.set_user_active(user, active=False, by=bureau_admin, reason="应急处置")
    user.refresh_from_db()
    assert user.is_active
