"""The workbench (工作台): each role's pending work, contributed by the pillars.

An app registers a function per role that returns the work waiting for that user:

    @pending_work(Role.BUREAU_ADMIN)
    def organisations_to_verify(user):
        n = Organisation.objects.filter(verified_at=None).count()
        yield WorkItem(_("待核验的组织"), n, reverse("accounts:organisation_list") + "?verified=no")

Items with a count of zero are shown as done, so a role always sees what it is responsible for.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.functional import Promise

from pdao.core.permissions import Role


@dataclass(frozen=True, slots=True)
class WorkItem:
    title: Promise | str
    count: int
    url: str
    hint: Promise | str = ""
    urgent: bool = False


Provider = Callable[[object], Iterable[WorkItem]]
_providers: dict[Role, list[Provider]] = defaultdict(list)


def pending_work(*roles: Role):
    def register(fn: Provider) -> Provider:
        for role in roles:
            if fn not in _providers[role]:
                _providers[role].append(fn)
        return fn

    return register


def work_for(user, role: Role) -> list[WorkItem]:
    return [item for provider in _providers[role] for item in provider(user)]
