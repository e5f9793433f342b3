from datetime import UTC, datetime

from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import field_validator

from pdao.audit.models import AuditEvent
from pdao.core.access import api_requires
from pdao.core.pagination import BoundedLimitOffset
from pdao.core.permissions import Perm

router = Router(tags=["audit"])


class EventOut(Schema):
    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_username: str
    system: str
    organisation_id: int | None
    organisation_name: str
    roles: str
    action: str
    object_type: str
    object_id: str
    summary: str
    changes: dict
    ip: str | None
    request_id: str


class EventFilter(Schema):
    action: str | None = None
    actor_username: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @field_validator("since", "until")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """Compared in UTC: an offset PostgreSQL cannot store (beyond ±15:59) or a date that
        falls off the calendar is a 422, not a database error (found by Schemathesis)."""
        if value is None:
            return None
        try:
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        except (OverflowError, ValueError):
            raise ValueError("date out of range") from None


@router.get("/events", response=list[EventOut], summary="Audit events, newest first")
@api_requires(Perm.AUDIT_VIEW)
@paginate(BoundedLimitOffset)
def list_events(request, filters: Query[EventFilter]):
    events = AuditEvent.objects.all()
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.actor_username:
        events = events.filter(actor_username=filters.actor_username)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.since:
        events = events.filter(occurred_at__gte=filters.since)
    if filters.until:
        events = events.filter(occurred_at__lte=filters.until)
    return events
