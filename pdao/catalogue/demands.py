"""供需对接 and 调度: demands for data, suggestions from the catalogue, tasks to providers."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.accounts.models import Organisation
from pdao.audit import actions
from pdao.audit.services import record
from pdao.catalogue import matching
from pdao.catalogue.models import Demand, Resource, SchedulingTask
from pdao.core import submissions
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation

POST = actions.define("demand.post", gettext_lazy("提出数据需求"))
SCHEDULE = actions.define("demand.schedule", gettext_lazy("下达调度任务"))
COMPLETE = actions.define("demand.task_complete", gettext_lazy("完成调度任务"))
MEET = actions.define("demand.meet", gettext_lazy("数据需求已满足"))


def suggestions(demand: Demand, *, limit: int = 5) -> list[tuple[Resource, float]]:
    """Catalogue resources that may already meet the demand, best first."""
    resources = {r.pk: r for r in Resource.objects.prefetch_related("fields")}
    documents = {
        pk: " ".join(
            [r.name, r.description, r.theme, *(f"{f.label} {f.name}" for f in r.fields.all())]
        )
        for pk, r in resources.items()
    }
    ranked = matching.suggest(f"{demand.title} {demand.description}", documents, limit=limit)
    return [(resources[pk], score) for pk, score in ranked]


@transaction.atomic
def post_demand(
    *, by, title: str, description: str, contact: str, name: str = "", domain: str = ""
) -> Demand:
    """Anyone may post a demand: signed-in users under their name, the public with a contact."""
    signed_in = by is not None and by.is_authenticated
    raised_by_name = (str(by.organisation or by) if signed_in else name) or _("匿名")
    demand = submissions.create_once(
        Demand,
        prefix="XQ",
        parts=(title, description, domain, raised_by_name, contact),
        created="created_at",
        title=title,
        description=description,
        domain=domain,
        raised_by=by if signed_in else None,
        raised_by_name=raised_by_name,
        contact=contact,
    )
    if demand.repeated:
        return demand
    record(
        POST,
        by=by if signed_in else None,
        username=name[:150],
        target=demand,
        summary=_("提出数据需求「%(t)s」") % {"t": title},
    )
    return demand


def track_demand(number: str) -> dict | None:
    """What the person who posted a demand may see of it, by its tracking number."""
    demand = Demand.objects.filter(tracking_no=number).first()
    if demand is None:
        return None
    return {
        "kind": _("数据需求"),
        "subject": demand.title,
        "received": demand.created_at,
        "status": demand.get_status_display(),
        "response": "",
        "answered": None,
        "contact": demand.contact,
    }


@transaction.atomic
def schedule(
    demand: Demand, *, by, provider: Organisation, deadline: date, instructions: str
) -> SchedulingTask:
    """The bureau orders a provider to supply the data by `deadline` (调度)."""
    if not by.has_perm(Perm.DEMAND_SCHEDULE):
        raise RuleViolation(_("只有市数据局可以下达调度任务。"))
    if deadline <= timezone.localdate():
        raise RuleViolation(_("完成时限应晚于今天。"))
    if demand.status in (Demand.Status.MET, Demand.Status.CLOSED):
        raise RuleViolation(_("该需求已办结。"))
    task = SchedulingTask.objects.create(
        demand=demand,
        provider=provider,
        deadline=deadline,
        instructions=instructions,
        created_by=by,
    )
    demand.status = Demand.Status.SCHEDULED
    demand.save(update_fields=["status"])
    record(
        SCHEDULE,
        by=by,
        target=demand,
        changes={"task": task.pk, "provider": provider.name, "deadline": deadline.isoformat()},
        summary=_("就「%(t)s」向%(p)s下达调度任务，时限 %(d)s")
        % {"t": demand.title, "p": provider.name, "d": deadline},
    )
    return task


@transaction.atomic
def complete_task(
    task: SchedulingTask, *, by, resource: Resource, note: str = ""
) -> SchedulingTask:
    """The provider reports the task done, naming the resource that now supplies the data."""
    if by.organisation_id != task.provider_id or resource.provider_id != task.provider_id:
        raise RuleViolation(_("只有被调度的提供单位可以完成任务，并须提供本单位的数据资源。"))
    if task.completed_at is not None:
        raise RuleViolation(_("该任务已完成。"))
    task.completed_at, task.resource, task.completion_note = timezone.now(), resource, note
    task.save()
    demand = task.demand
    if not demand.tasks.filter(completed_at__isnull=True).exists():
        demand.status, demand.met_by = Demand.Status.MET, resource
        demand.save(update_fields=["status", "met_by"])
    record(
        COMPLETE,
        by=by,
        target=demand,
        changes={"task": task.pk, "resource": resource.code},
        summary=_("完成「%(t)s」的调度任务，提供 %(c)s") % {"t": demand.title, "c": resource.code},
    )
    return task


@transaction.atomic
def meet_with(demand: Demand, *, by, resource: Resource) -> Demand:
    """The bureau closes a demand an existing resource already meets (a suggestion taken)."""
    if not by.has_perm(Perm.DEMAND_SCHEDULE):
        raise RuleViolation(_("只有市数据局可以办结数据需求。"))
    demand.status, demand.met_by = Demand.Status.MET, resource
    demand.save(update_fields=["status", "met_by"])
    record(
        MEET,
        by=by,
        target=demand,
        changes={"resource": resource.code},
        summary=_("「%(t)s」由现有资源 %(c)s 满足") % {"t": demand.title, "c": resource.code},
    )
    return demand
