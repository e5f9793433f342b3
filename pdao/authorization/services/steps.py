"""What every stage of an application shares: the step it is in, its deadline, and the one
sequence a step change takes — change the status, audit it, tell whose turn it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.audit.services import record
from pdao.authorization.choices import STEP_DAYS
from pdao.authorization.models import Application
from pdao.catalogue.registration import add_working_days
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.notifications.services import holders, members, notify

OPERATOR, BUREAU = "operator", "bureau"


@dataclass(frozen=True)
class Notice:
    """Who is told of a step change (the applying operator or the bureau), and what."""

    to: str
    subject: str
    body: str = ""


def deadline(status: str) -> date | None:
    """The last working day of the step an application enters, or None for an open-ended one."""
    days = STEP_DAYS.get(status)
    return add_working_days(timezone.localdate(), days) if days else None


def link(application: Application) -> str:
    return reverse("authorization:application_detail", args=[application.pk])


def expect(application: Application, status: str) -> None:
    if application.status != status:
        raise RuleViolation(
            _("申请当前为“%(now)s”，不能进行此操作。") % {"now": application.get_status_display()}
        )


def move(application: Application, status: str, **fields) -> None:
    """Set the status, the deadline of the step it enters (unless `fields` names one) and
    `fields`, then re-read the application."""
    values = {"status": status, "step_deadline": deadline(status)} | fields
    Application.objects.filter(pk=application.pk).update(**values)
    application.refresh_from_db()


def tell(application: Application, notice: Notice) -> None:
    recipients = (
        members(application.operator, Role.OPERATOR)
        if notice.to == OPERATOR
        else holders(Role.BUREAU_ADMIN)
    )
    notify(recipients, subject=notice.subject, body=notice.body, link=link(application))


def advance(
    application: Application,
    status: str,
    *,
    by,
    action: str,
    summary: str,
    changes: dict | None = None,
    notice: Notice | None = None,
    **fields,
) -> Application:
    """The step change every stage makes: move `application` to `status` (with `fields`),
    write the audit event `action`, and tell the party whose turn it is. Call it inside the
    verb's transaction: the three commit or roll back together."""
    move(application, status, **fields)
    record(action, by=by, target=application, changes=changes, summary=summary)
    if notice is not None:
        tell(application, notice)
    return application
