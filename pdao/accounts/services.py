"""State changes of organisations and users. Views and commands call these, never `.save()`.

Each function is atomic and writes its audit event in the same transaction; arguments are
assumed valid (forms and API schemas validate at the edge), except for the rules below that
protect invariants no form can see (roles allowed for an organisation type, not locking oneself
out).
"""

import hashlib

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.accounts.choices import ROLES_BY_ORGANISATION_TYPE
from pdao.accounts.models import Organisation, RoleGrant, User
from pdao.audit import actions
from pdao.audit.services import record
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.ledger import services as ledger
from pdao.ledger.entry import canonical

ORGANISATION_CREATE = actions.define("organisation.create", gettext_lazy("登记组织"))
ORGANISATION_UPDATE = actions.define("organisation.update", gettext_lazy("修改组织信息"))
ORGANISATION_VERIFY = actions.define("organisation.verify", gettext_lazy("核验组织"))
ORGANISATION_DEACTIVATE = actions.define("organisation.deactivate", gettext_lazy("停用组织"))
ORGANISATION_ACTIVATE = actions.define("organisation.activate", gettext_lazy("启用组织"))
USER_CREATE = actions.define("user.create", gettext_lazy("创建用户"))
USER_GRANT_ROLE = actions.define("user.grant_role", gettext_lazy("授予角色"))
USER_REVOKE_ROLE = actions.define("user.revoke_role", gettext_lazy("撤销角色"))
USER_DEACTIVATE = actions.define("user.deactivate", gettext_lazy("停用用户"))
USER_ACTIVATE = actions.define("user.activate", gettext_lazy("启用用户"))
USER_UNLOCK = actions.define("user.unlock", gettext_lazy("解除登录锁定"))
USER_SET_PASSWORD = actions.define("user.set_password", gettext_lazy("重置密码"))
USER_CHANGE_PASSWORD = actions.define("user.change_password", gettext_lazy("修改本人密码"))

ORGANISATION_FIELDS = (
    "name",
    "short_name",
    "type",
    "credit_code",
    "division_code",
    "contact_name",
    "contact_phone",
    "address",
)


@transaction.atomic
def create_organisation(*, by: User | None, **fields) -> Organisation:
    organisation = Organisation(**{k: fields[k] for k in ORGANISATION_FIELDS if k in fields})
    organisation.full_clean()
    organisation.save()
    record(
        ORGANISATION_CREATE,
        by=by,
        target=organisation,
        summary=_("登记组织「%(name)s」（%(type)s）")
        % {"name": organisation.name, "type": organisation.get_type_display()},
    )
    return organisation


@transaction.atomic
def update_organisation(organisation: Organisation, *, by: User, **fields) -> Organisation:
    """Change an organisation's details. Its type cannot change while members hold roles that
    the new type does not allow."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes = {}
    for name in ORGANISATION_FIELDS:
        if name in fields and getattr(organisation, name) != fields[name]:
            changes[name] = [getattr(organisation, name), fields[name]]
            setattr(organisation, name, fields[name])
    if not changes:
        return organisation
    if "type" in changes:
        allowed = ROLES_BY_ORGANISATION_TYPE[organisation.type]
        held = set(
            RoleGrant.objects.filter(user__organisation=organisation).values_list("role", flat=True)
        )
        if held - allowed:
            raise RuleViolation(_("该组织成员持有新类型不允许的角色，请先撤销这些角色。"))
    if "credit_code" in changes and organisation.verified_at:
        # A changed credit code is a different legal entity until the bureau checks it again.
        changes["verified_at"] = [organisation.verified_at.isoformat(), None]
        organisation.verified_at = None
        organisation.verified_by = None
    organisation.full_clean()
    organisation.save()
    record(
        ORGANISATION_UPDATE,
        by=by,
        target=organisation,
        changes=changes,
        summary=_("修改组织「%(name)s」：%(fields)s")
        % {"name": organisation.name, "fields": "、".join(changes)},
    )
    return organisation


@transaction.atomic
def verify_organisation(organisation: Organisation, *, by: User) -> Organisation:
    """The bureau confirms the organisation's identity (licence and credit code checked).

    The decision is anchored on the ledger: every authorization later rests on it."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.verified_at:
        raise RuleViolation(_("该组织已核验。"))
    organisation.verified_at = timezone.now()
    organisation.verified_by = by
    organisation.save(update_fields=["verified_at", "verified_by"])
    ledger.anchor(
        "organisation.verify",
        target=organisation,
        content_hash=_identity_hash(organisation),
        by=by,
    )
    record(
        ORGANISATION_VERIFY,
        by=by,
        target=organisation,
        summary=_("核验组织「%(name)s」，统一社会信用代码 %(code)s")
        % {"name": organisation.name, "code": organisation.credit_code},
    )
    return organisation


def _identity_hash(organisation: Organisation) -> str:
    """SHA-256 of the verified identity: name, type and credit code, in canonical JSON."""
    facts = {
        "name": organisation.name,
        "type": organisation.type,
        "credit_code": organisation.credit_code,
        "verified_at": organisation.verified_at.isoformat(),
    }
    return hashlib.sha256(canonical(facts)).hexdigest()


@transaction.atomic
def set_organisation_active(
    organisation: Organisation, *, active: bool, by: User, reason: str
) -> Organisation:
    """Suspend or restore an organisation: its members lose or regain every role at once."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.is_active == active:
        return organisation
    if not active and by.organisation_id == organisation.pk:
        raise RuleViolation(_("不能停用自己所在的组织。"))
    organisation.is_active = active
    organisation.save(update_fields=["is_active"])
    record(
        ORGANISATION_ACTIVATE if active else ORGANISATION_DEACTIVATE,
        by=by,
        target=organisation,
        changes={"is_active": [not active, active]},
        summary=_("%(verb)s组织「%(name)s」，理由：%(reason)s")
        % {"verb": _("启用") if active else _("停用"), "name": organisation.name, "reason": reason},
    )
    return organisation


@transaction.atomic
def create_user(
    *,
    by: User | None,
    username: str,
    organisation: Organisation,
    password: str,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    roles: tuple[Role, ...] = (),
) -> User:
    """Open an account in `organisation` with `roles` (each must suit the organisation type)."""
    user = User(
        username=username,
        organisation=organisation,
        display_name=display_name,
        email=email,
        phone=phone,
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record(
        USER_CREATE,
        by=by,
        target=user,
        summary=_("在「%(org)s」创建用户 %(username)s")
        % {"org": organisation.name, "username": username},
    )
    for role in roles:
        grant_role(user, Role(role), by=by)
    return user


@transaction.atomic
def grant_role(user: User, role: Role, *, by: User | None) -> RoleGrant:
    if user.organisation is None:
        raise RuleViolation(_("用户未归属任何组织，不能授予角色。"))
    if role not in ROLES_BY_ORGANISATION_TYPE[user.organisation.type]:
        raise RuleViolation(
            _("「%(type)s」类组织的成员不能担任「%(role)s」。")
            % {"type": user.organisation.get_type_display(), "role": role.label}
        )
    grant, created = RoleGrant.objects.get_or_create(
        user=user, role=role, defaults={"granted_by": by}
    )
    if created:
        record(
            USER_GRANT_ROLE,
            by=by,
            target=user,
            changes={"roles": [None, role.value]},
            summary=_("授予用户 %(username)s 角色「%(role)s」")
            % {"username": user.username, "role": role.label},
        )
    user.refresh_access()
    return grant


@transaction.atomic
def revoke_role(user: User, role: Role, *, by: User) -> User:
    if user.pk == by.pk and role == Role.BUREAU_ADMIN:
        raise RuleViolation(_("不能撤销自己的数据局管理员角色。"))
    deleted, _count = RoleGrant.objects.filter(user=user, role=role).delete()
    if deleted:
        record(
            USER_REVOKE_ROLE,
            by=by,
            target=user,
            changes={"roles": [role.value, None]},
            summary=_("撤销用户 %(username)s 的角色「%(role)s」")
            % {"username": user.username, "role": role.label},
        )
    user.refresh_access()
    return user


@transaction.atomic
def set_user_active(user: User, *, active: bool, by: User, reason: str) -> User:
    """Lock or unlock an account by hand (an emergency action supervision will call too)."""
    if user.is_active == active:
        return user
    if user.pk == by.pk and not active:
        raise RuleViolation(_("不能停用自己的账号。"))
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(
        USER_ACTIVATE if active else USER_DEACTIVATE,
        by=by,
        target=user,
        changes={"is_active": [not active, active]},
        summary=_("%(verb)s用户 %(username)s，理由：%(reason)s")
        % {"verb": _("启用") if active else _("停用"), "username": user.username, "reason": reason},
    )
    user.refresh_access()
    return user


@transaction.atomic
def unlock_user(user: User, *, by: User) -> int:
    """Lift a login lockout (django-axes) before its cool-off ends. Returns attempts cleared."""
    cleared = axes_reset(username=user.username)
    record(
        USER_UNLOCK,
        by=by,
        target=user,
        summary=_("解除用户 %(username)s 的登录锁定（清除 %(count)d 条失败记录）")
        % {"username": user.username, "count": cleared},
    )
    return cleared


@transaction.atomic
def set_password(user: User, password: str, *, by: User) -> User:
    """The bureau resets a user's password; the user's own change goes through change_password."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    action = USER_CHANGE_PASSWORD if user.pk == by.pk else USER_SET_PASSWORD
    record(action, by=by, target=user, summary=_("设置用户 %(u)s 的密码") % {"u": user.username})
    return user


def change_password(user: User, password: str) -> User:
    """The user changes their own password (old one already checked by the form)."""
    return set_password(user, password, by=user)
