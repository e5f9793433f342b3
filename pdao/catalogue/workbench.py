from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.catalogue.choices import GradingStatus, VersionStatus
from pdao.catalogue.models import Demand, Registration, Resource, SchedulingTask, Version
from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work


@pending_work(Role.PROVIDER)
def versions_waiting(user):
    """Versions of the provider's own resources ingested but not yet active."""
    waiting = Version.objects.filter(
        resource__provider_id=user.organisation_id, status=VersionStatus.READY
    ).count()
    yield WorkItem(
        _("待启用的数据版本"),
        waiting,
        reverse("catalogue:resource_list"),
        hint=_("含个人信息的版本需先标注字段"),
    )


@pending_work(Role.PROVIDER)
def quality_failures(user):
    """The provider's versions of the last 90 days whose quality rules did not all pass."""
    since = timezone.now() - timedelta(days=90)
    recent = Version.objects.filter(
        resource__provider_id=user.organisation_id, created_at__gte=since
    ).values_list("quality_report", flat=True)
    count = sum(1 for report in recent if any(not r["passed"] for r in report))
    yield WorkItem(
        _("质量未达标的数据版本"),
        count,
        reverse("catalogue:resource_list"),
        hint=_("近 90 天归集的版本中有规则未达标"),
        urgent=count > 0,
    )


@pending_work(Role.BUREAU_ADMIN)
def gradings_to_review(user):
    pending = Resource.objects.filter(grading_status=GradingStatus.PENDING).count()
    due = Resource.objects.filter(
        Q(grading_review_due__lte=timezone.localdate()), grading_status=GradingStatus.APPROVED
    ).count()
    yield WorkItem(
        _("待审定分级的数据资源"), pending, reverse("catalogue:resource_list") + "?grading=pending",
        hint=_("核心数据不予授权；重要数据仅限聚合或差分隐私输出"),
    )  # fmt: skip
    yield WorkItem(
        _("分级复审到期"), due, reverse("catalogue:resource_list") + "?grading=due",
        hint=_("就高从严、动态更新：每年复审一次"), urgent=due > 0,
    )  # fmt: skip


@pending_work(Role.BUREAU_ADMIN)
def registrations_to_handle(user):
    waiting = Registration.objects.filter(
        Q(status=Registration.Status.SUBMITTED)
        | Q(status=Registration.Status.NOTICE, notice_end__lt=timezone.localdate())
        | Q(status=Registration.Status.NOTICE, objections__answered_at__isnull=True)
    ).distinct()
    first = waiting.first()
    yield WorkItem(
        _("待办理的数据资源登记"),
        waiting.count(),
        reverse("catalogue:registration_detail", args=[first.pk])
        if first
        else reverse("catalogue:notices"),
        hint=_("待公示、待答复异议或公示期满待确认"),
    )


@pending_work(Role.BUREAU_ADMIN)
def demands_and_overdue_tasks(user):
    open_demands = Demand.objects.filter(status=Demand.Status.OPEN).count()
    overdue = SchedulingTask.objects.filter(
        completed_at__isnull=True, deadline__lt=timezone.localdate()
    ).count()
    yield WorkItem(_("待处理的数据需求"), open_demands, reverse("catalogue:demands"),
                   hint=_("先看目录中已有资源能否满足，否则向提供单位下达调度"))  # fmt: skip
    yield WorkItem(_("逾期的调度任务"), overdue, reverse("catalogue:demands"),
                   hint=_("超过完成时限仍未完成"), urgent=overdue > 0)  # fmt: skip


@pending_work(Role.PROVIDER)
def tasks_to_complete(user):
    tasks = SchedulingTask.objects.filter(
        provider_id=user.organisation_id, completed_at__isnull=True
    )
    first = tasks.first()
    yield WorkItem(
        _("待完成的调度任务"),
        tasks.count(),
        reverse("catalogue:demand_detail", args=[first.demand_id])
        if first
        else reverse("catalogue:demands"),
        hint=_("市数据局下达的数据调度，按时限完成"),
        urgent=any(t.is_overdue for t in tasks),
    )
