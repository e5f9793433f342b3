"""Who acts when no person does. The platform's own callers each have a name — the gateway
serving a consumer's call, the command line run by an administrator, the scheduler running
timed and queued work (the janitor, expiry, monitoring) — so a service checks them explicitly
and every zone query and audit event says which one acted. `None` as the acting party means
no one is signed in: a member of the public objecting to a notice, a failed login, a consumer
registering.

>>> GATEWAY.code, GATEWAY.is_authenticated, GATEWAY.has_perm("zone.query")
('gateway', False, False)
>>> system_code(CLI), system_code(None)
('cli', '')
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True, eq=False)
class SystemActor:
    """A caller inside the platform. It holds no permission and belongs to no organisation:
    what it may do is decided by name where it acts (`zone.services.may_use`)."""

    code: str
    label: Promise

    is_authenticated = False
    pk = None
    organisation = None
    organisation_id = None
    roles = frozenset()

    def has_perm(self, perm: str) -> bool:
        return False

    def __str__(self) -> str:
        return str(self.label)


GATEWAY = SystemActor("gateway", _("数据网关"))
CLI = SystemActor("cli", _("命令行"))
SCHEDULER = SystemActor("scheduler", _("后台任务"))
ACTORS = {actor.code: actor for actor in (GATEWAY, CLI, SCHEDULER)}
CHOICES = [(actor.code, actor.label) for actor in ACTORS.values()]


def system_code(by) -> str:
    """The code recorded for `by`: a system caller's name, "" for a person or the public."""
    return by.code if isinstance(by, SystemActor) else ""


def is_system(by) -> bool:
    return isinstance(by, SystemActor)
