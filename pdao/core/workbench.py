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
        _("在此推荐本部门主管领域的应用场景参评市级典型场景，跟踪专家评审和工作专班认定的进展。"
          "可推荐的场景须有运营单位编写的完整案例和成功交付记录。"),
        ((_("应用场景登记"), "showcase:scenarios"), (_("典型场景评审"), "showcase:nominations"),
         (_("典型场景展示"), "showcase:home")),
    ),
    Role.TASKFORCE: Intro(
        _("在此跟踪实施方案年度目标和绩效指标，认定市级典型场景并生成“数据要素×”申报材料，"
          "组织运营单位绩效评估，督促年度信息披露，按月或按季生成工作报告。"),
        ((_("绩效指标与目标"), "showcase:kpis"), (_("典型场景评审"), "showcase:nominations"),
         (_("绩效评估"), "showcase:evaluations"), (_("工作报告"), "showcase:reports")),
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
