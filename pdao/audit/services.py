"""Writing audit events. Every state-changing service calls `record` inside its transaction."""

from django.db import models

from pdao.audit.models import AuditEvent
from pdao.core import context, identity


def record(
    action: str,
    *,
    by,
    summary: str,
    target: models.Model | None = None,
    target_ref: tuple[str, str] | None = None,
    changes: dict | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one audit event for `action` done by `by`: a user, a platform caller
    (`pdao.core.identity`: the gateway, the command line, the scheduler), or None when no one
    is signed in (the public, a failed login).

    Args:
        target: the object changed; or `target_ref` as (type, id) when no instance exists.
        changes: {field: [old, new]} for edits; ids and labels only, never dataset values.
        username: the name tried, for events without a signed-in user (a failed login).

    Returns the saved event. Call it inside the caller's `transaction.atomic` block so the
    event and the change commit or roll back together.
    """
    ctx = context.current()
    actor = by if (by is not None and by.is_authenticated) else None
    organisation = actor.organisation if actor is not None else None
    if target is not None:
        object_type = f"{target._meta.app_label}.{target._meta.model_name}"
        object_id = str(target.pk)
    elif target_ref is not None:
        object_type, object_id = target_ref
    else:
        object_type = object_id = ""
    return AuditEvent.objects.create(
        actor_id=actor.pk if actor else None,
        actor_username=actor.username if actor else username[:150],
        system=identity.system_code(by),
        organisation_id=organisation.pk if organisation else None,
        organisation_name=organisation.name if organisation else "",
        roles=",".join(sorted(actor.roles)) if actor else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        changes=changes or {},
        ip=ctx.ip,
        request_id=ctx.request_id,
    )
