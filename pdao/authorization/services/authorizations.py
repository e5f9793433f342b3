"""授权: a live authorization's status — suspension, resumption, revocation, expiry at the end
of its term — and renewal. Each change is audited, anchored on the ledger and takes effect at
the very next access decision (the revision changes)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Application, Authorization, DemandField, DemandItem
from pdao.authorization.services.applications import APPLICATION_FIELDS, create_application
from pdao.core.identity import SCHEDULER
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, require
from pdao.ledger import services as ledger
from pdao.ledger.entry import canonical
from pdao.notifications.services import members, notify

AUTHORIZATION_SUSPEND = actions.define("authz.suspend", gettext_lazy("暂停授权"))
AUTHORIZATION_RESUME = actions.define("authz.resume", gettext_lazy("恢复授权"))
AUTHORIZATION_REVOKE = actions.define("authz.revoke", gettext_lazy("撤销授权"))
AUTHORIZATION_EXPIRE = actions.define("authz.expire", gettext_lazy("授权到期"))
LIVE = (AuthorizationStatus.ACTIVE, AuthorizationStatus.SUSPENDED)


def schedule_expiry(authorization: Authorization) -> None:
    """Queue the task that expires the authorization at the end of its last day."""
    from pdao.authorization.tasks import expire_authorization  # tasks import these services

    end = datetime.combine(authorization.ends_on + timedelta(days=1), time.min)
    run_after = timezone.make_aware(end)
    expire_authorization.using(run_after=run_after).enqueue(authorization.pk)


def change_status(
    authorization: Authorization, status: str, *, by, reason: str, action: str
) -> Authorization:
    """The one sequence every status change takes: the new status and revision, its state
    hash on the ledger, the audit event, and the operator told."""
    old = authorization.status
    Authorization.objects.filter(pk=authorization.pk).update(
        status=status, status_reason=reason, revision=F("revision") + 1
    )
    authorization.refresh_from_db()
    state = {
        "authorization": authorization.code,
        "status": status,
        "from": old,
        "revision": authorization.revision,
    }
    ledger.anchor(
        f"authorization.{status}",
        content_hash=hashlib.sha256(canonical(state)).hexdigest(),
        by=by,
        target=authorization,
    )
    record(
        action,
        by=by,
        target=authorization,
        changes={"status": [old, status], "reason": reason},
        summary=_("授权 %(c)s：%(a)s → %(b)s")
        % {
            "c": authorization.code,
            "a": AuthorizationStatus(old).label,
            "b": AuthorizationStatus(status).label,
        },
    )
    notify(
        members(authorization.operator, Role.OPERATOR),
        body=reason,
        subject=_("授权状态变更：%(c)s %(s)s")
        % {"c": authorization.code, "s": authorization.get_status_display()},
        link=reverse("authorization:authorization_detail", args=[authorization.pk]),
    )
    return authorization


@transaction.atomic
def suspend(authorization: Authorization, *, by, reason: str) -> Authorization:
    """暂停: effective for the very next access decision (the revision changes)."""
    require(by, Perm.AUTHZ_SUSPEND)
    if authorization.status != AuthorizationStatus.ACTIVE:
        raise RuleViolation(_("只有有效的授权可以暂停。"))
    if not reason.strip():
        raise RuleViolation(_("暂停须写明理由。"))
    return change_status(
        authorization,
        AuthorizationStatus.SUSPENDED,
        by=by,
        reason=reason,
        action=AUTHORIZATION_SUSPEND,
    )


@transaction.atomic
def resume(authorization: Authorization, *, by, reason: str) -> Authorization:
    require(by, Perm.AUTHZ_DECIDE)
    if authorization.status != AuthorizationStatus.SUSPENDED:
        raise RuleViolation(_("只有已暂停的授权可以恢复。"))
    if not reason.strip():
        raise RuleViolation(_("恢复须写明理由。"))
    if timezone.localdate() > authorization.ends_on:
        raise RuleViolation(_("授权期限已届满，不能恢复；请申请续期。"))
    return change_status(
        authorization, AuthorizationStatus.ACTIVE, by=by, reason=reason, action=AUTHORIZATION_RESUME
    )


@transaction.atomic
def revoke(authorization: Authorization, *, by, reason: str) -> Authorization:
    require(by, Perm.AUTHZ_DECIDE)
    if authorization.status not in LIVE:
        raise RuleViolation(_("该授权已终止。"))
    if not reason.strip():
        raise RuleViolation(_("撤销须写明理由。"))
    return change_status(
        authorization,
        AuthorizationStatus.REVOKED,
        by=by,
        reason=reason,
        action=AUTHORIZATION_REVOKE,
    )


@transaction.atomic
def expire_if_due(authorization_id: int, *, today: date | None = None) -> bool:
    """Expire one authorization whose term has ended (the scheduler's work); a term that was
    extended meanwhile is left alone and rescheduled."""
    today = today or timezone.localdate()
    authorization = Authorization.objects.select_for_update().filter(pk=authorization_id).first()
    if authorization is None or authorization.status not in LIVE:
        return False
    if today <= authorization.ends_on:
        transaction.on_commit(lambda: schedule_expiry(authorization))
        return False
    change_status(
        authorization,
        AuthorizationStatus.EXPIRED,
        by=SCHEDULER,
        reason=_("授权期限届满"),
        action=AUTHORIZATION_EXPIRE,
    )
    from pdao.authorization import exits  # exits builds on these services

    exits.start_expired(authorization.pk)
    return True


def expire_due(*, today: date | None = None) -> list[str]:
    """Expire every live authorization past its term (a safety net beside the scheduled
    tasks: `manage.py expire_authorizations`)."""
    today = today or timezone.localdate()
    due = Authorization.objects.filter(status__in=LIVE, ends_on__lt=today)
    return [a.code for a in due if expire_if_due(a.pk, today=today)]


@transaction.atomic
def renew(authorization: Authorization, *, by) -> Application:
    """续期: a new application prefilled from the old one (the review starts again)."""
    require(by, Perm.AUTHZ_APPLY)
    if authorization.operator_id != by.organisation_id:
        raise RuleViolation(_("只能为本单位的授权申请续期。"))
    from pdao.authorization import exits  # exits build on these services
    from pdao.showcase.evaluations import renewal_refusal  # the evaluation builds on these

    refusal = exits.renewal_refusal(authorization) or renewal_refusal(authorization)
    if refusal:
        raise RuleViolation(refusal)
    old = authorization.application
    application = create_application(
        by=by, renewal_of=authorization, **{k: getattr(old, k) for k in APPLICATION_FIELDS}
    )
    for item in old.items.prefetch_related("fields"):
        new_item = DemandItem.objects.create(
            application=application,
            resource=item.resource,
            output_forms=item.output_forms,
            volume=item.volume,
            frequency=item.frequency,
        )
        DemandField.objects.bulk_create(
            DemandField(
                item=new_item,
                field_id=d.field_id,
                purpose=d.purpose,
                justification=d.justification,
            )
            for d in item.fields.all()
        )
    return application
