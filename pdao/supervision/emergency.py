"""应急处置: the supervisor stops an authorization, a product, a credential or a user at once
(with a reason, from an alert or directly); the bureau lifts it (with a reason). Each take
and lift is audited and anchored on the ledger, and takes effect at the very next request:
the gateway, the zone and the pages all read the state they change on every request."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.accounts.models import User
from pdao.accounts.services import set_user_active
from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization import services as authorizations
from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation
from pdao.ledger.services import anchor
from pdao.products.models import Credential, Product
from pdao.supervision.models import EmergencyAction

Kind = EmergencyAction.Kind
EMERGENCY_TAKE = actions.define("emergency.take", gettext_lazy("应急处置"))
EMERGENCY_LIFT = actions.define("emergency.lift", gettext_lazy("解除应急处置"))


def _digest(action: EmergencyAction, event: str) -> str:
    canonical = json.dumps(
        {
            "event": event,
            "kind": action.kind,
            "target": action.target,
            "reason": action.lift_reason if event == "lift" else action.reason,
            "at": (action.lifted_at if event == "lift" else action.taken_at).isoformat(),
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _authorization(target: str) -> Authorization:
    found = Authorization.objects.filter(code=target).first()
    if found is None:
        raise RuleViolation(_("没有授权编号为 %(t)s 的授权。") % {"t": target})
    return found


def _product(target: str) -> Product:
    found = Product.objects.filter(code=target).first()
    if found is None:
        raise RuleViolation(_("没有产品编号为 %(t)s 的产品。") % {"t": target})
    return found


def _credential(target: str) -> Credential:
    found = Credential.objects.filter(application__client_id=target).first()
    if found is None:
        raise RuleViolation(_("没有客户端编号为 %(t)s 的凭证。") % {"t": target})
    return found


def _user(target: str) -> User:
    found = User.objects.filter(username=target).first()
    if found is None:
        raise RuleViolation(_("没有登录名为 %(t)s 的用户。") % {"t": target})
    return found


@transaction.atomic
def take(kind: str, target: str, *, by, reason: str, alert=None, incident=None) -> EmergencyAction:
    if by is None or not by.has_perm(Perm.SUPERVISION_MANAGE):
        raise RuleViolation(_("没有执行此操作的权限。"))
    if kind not in Kind.values:
        raise RuleViolation(_("未知的处置措施。"))
    target, reason = target.strip(), reason.strip()
    if not target or not reason:
        raise RuleViolation(_("应急处置须指明对象并写明理由。"))
    if EmergencyAction.objects.filter(kind=kind, target=target, lifted_at__isnull=True).exists():
        raise RuleViolation(_("该对象已在同一应急处置之下。"))
    now = timezone.now()
    if kind == Kind.SUSPEND_AUTHORIZATION:
        authorizations.suspend(_authorization(target), by=by, reason=_("应急处置：") + reason)
    elif kind == Kind.FREEZE_PRODUCT:
        product = _product(target)
        Product.objects.filter(pk=product.pk).update(frozen_at=now)
    elif kind == Kind.SUSPEND_CREDENTIAL:
        credential = _credential(target)
        if credential.revoked_at is not None:
            raise RuleViolation(_("凭证已吊销。"))
        Credential.objects.filter(pk=credential.pk).update(suspended_at=now)
        credential.application.accesstoken_set.all().delete()  # live tokens end now
    else:
        user = _user(target)
        if user.pk == by.pk:
            raise RuleViolation(_("不能锁定自己的账号。"))
        if not user.is_active:
            raise RuleViolation(_("该用户已停用。"))
        set_user_active(user, active=False, by=by, reason=_("应急处置：") + reason)
    if incident is None and alert is not None:
        incident = alert.incidents.filter(status="open").first()
    action = EmergencyAction.objects.create(
        kind=kind, target=target, alert=alert, incident=incident, reason=reason, taken_by=by
    )
    record(
        EMERGENCY_TAKE,
        by=by,
        target=action,
        changes={"kind": kind, "target": target, "alert": alert.pk if alert else None},
        summary=_("应急处置：%(kind)s %(target)s")
        % {"kind": action.get_kind_display(), "target": target},
    )
    anchor("emergency.take", content_hash=_digest(action, "take"), by=by, target=action)
    return action


@transaction.atomic
def lift(action: EmergencyAction, *, by, reason: str) -> EmergencyAction:
    """解除: the bureau restores what the action stopped, with a reason."""
    if by is None or not by.has_perm(Perm.AUTHZ_DECIDE):
        raise RuleViolation(_("只有市数据局可以解除应急处置。"))
    action = EmergencyAction.objects.select_for_update().get(pk=action.pk)
    if not action.in_force:
        raise RuleViolation(_("该应急处置已解除。"))
    if not reason.strip():
        raise RuleViolation(_("解除须写明理由。"))
    if action.kind == Kind.SUSPEND_AUTHORIZATION:
        authorization = _authorization(action.target)
        if authorization.status == AuthorizationStatus.SUSPENDED:
            authorizations.resume(authorization, by=by, reason=_("解除应急处置：") + reason)
    elif action.kind == Kind.FREEZE_PRODUCT:
        Product.objects.filter(code=action.target).update(frozen_at=None)
    elif action.kind == Kind.SUSPEND_CREDENTIAL:
        Credential.objects.filter(application__client_id=action.target).update(suspended_at=None)
    else:
        set_user_active(_user(action.target), active=True, by=by, reason=reason)
    action.lifted_by, action.lifted_at, action.lift_reason = by, timezone.now(), reason
    action.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    record(
        EMERGENCY_LIFT,
        by=by,
        target=action,
        changes={"kind": action.kind, "target": action.target},
        summary=_("解除应急处置：%(kind)s %(target)s")
        % {"kind": action.get_kind_display(), "target": action.target},
    )
    anchor("emergency.lift", content_hash=_digest(action, "lift"), by=by, target=action)
    return action
