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
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Role


@dataclass(frozen=True, slots=True)
class WorkItem:
    title: Promise | str
    count: int
    url: str
    hint: Promise | str = ""
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class Intro:
    """What a role will do on the platform while its pillar is still being built, and the
    pages it can already read (url names), so its workbench is never an empty page."""

    text: Promise | str
    links: tuple[tuple[Promise | str, str], ...]


INTROS: dict[Role, Intro] = {
    Role.INDUSTRY_LEAD: Intro(
        _("典型应用场景功能正在建设，届时在此登记和评估本行业的典型应用场景，跟踪服务这些场景的数据产品。"
          "现在可以查看公共数据目录、数据产品和公示。"),
        ((_("公共数据目录"), "catalogue:resource_list"), (_("数据产品市场"), "products:market"),
         (_("授权公示"), "authorization:notices")),
    ),
    Role.TASKFORCE: Intro(
        _("绩效评估与信息披露功能正在建设，届时在此查看年度目标进度（典型场景、数据商数量）、"
          "运营单位的绩效评估和年度信息披露。现在可以查看授权、产品和监管驾驶舱。"),
        ((_("授权列表"), "authorization:authorization_list"),
         (_("数据产品市场"), "products:market"), (_("监管驾驶舱"), "supervision:dashboard")),
    ),
}  # fmt: skip


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
