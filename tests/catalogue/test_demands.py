from datetime import timedelta

import pytest
from django.utils import timezone

from pdao.catalogue import demands, matching, services
from pdao.catalogue.models import Demand
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def _resource(provider, name, labels):
    return services.register_resource(
        by=provider,
        provider=provider.organisation,
        name=name,
        domain="commerce",
        sharing="conditional",
        opening="none",
        frequency="daily",
        grade="general_2",
        fields=[
            {"name": f"f{i}", "label": label, "type": "string"} for i, label in enumerate(labels)
        ],
    )


def _scheduled_task(bureau_admin, provider):
    """A public demand the bureau scheduled to `provider`, due in three days."""
    demand = demands.post_demand(by=None, name="某", contact="x", title="t", description="d")
    return demands.schedule(
        demand,
        by=bureau_admin,
        provider=provider.organisation,
        deadline=timezone.localdate() + timedelta(days=3),
        instructions="x",
    )


def test_bigram_matching_ranks_the_resource_that_holds_what_is_asked():
    docs = {
        "fund": "公积金缴存记录 职工账号 缴存基数 月缴存额",
        "bus": "公交刷卡记录 卡号 线路 上车站点 刷卡时间",
        "weather": "气象观测 气温 降水量",
    }
    ranked = matching.suggest("希望获取各线路公交刷卡时间分布用于优化排班", docs)
    assert ranked[0][0] == "bus"
    assert all(key != "weather" for key, _ in ranked)


def test_demand_gets_suggestions_from_the_catalogue(provider):
    bus = _resource(provider, "公交刷卡记录", ["线路", "刷卡时间"])
    weather = _resource(provider, "气象观测", ["气温"])
    demand = demands.post_demand(
        by=None,
        name="某出行公司",
        contact="电话",
        title="公交客流",
        description="按线路统计刷卡人次",
    )
    suggested = demands.suggestions(demand)
    assert suggested[0][0] == bus
    assert weather not in [r for r, _score in suggested]


def test_scheduling_to_completion_meets_the_demand(provider, bureau_admin):
    operator = user_with_role(Role.OPERATOR)
    demand = demands.post_demand(
        by=operator, contact="x", title="企业用电", description="月度用电量"
    )
    task = demands.schedule(
        demand,
        by=bureau_admin,
        provider=provider.organisation,
        deadline=timezone.localdate() + timedelta(days=30),
        instructions="请归集企业月度用电数据",
    )
    assert Demand.objects.get(pk=demand.pk).status == "scheduled"
    supplied = _resource(provider, "企业用电量", ["用电量"])
    demands.complete_task(task, by=provider, resource=supplied, note="已登记并归集")
    demand.refresh_from_db()
    assert (demand.status, demand.met_by) == ("met", supplied)


def test_only_the_bureau_schedules_and_deadlines_are_in_the_future(provider, bureau_admin):
    demand = demands.post_demand(by=None, name="某", contact="x", title="t", description="d")
    with pytest.raises(RuleViolation, match="市数据局"):
        demands.schedule(
            demand,
            by=provider,
            provider=provider.organisation,
            deadline=timezone.localdate() + timedelta(days=3),
            instructions="x",
        )
    with pytest.raises(RuleViolation, match="晚于今天"):
        demands.schedule(
            demand,
            by=bureau_admin,
            provider=provider.organisation,
            deadline=timezone.localdate(),
            instructions="x",
        )


def test_another_provider_cannot_complete_the_task(provider, bureau_admin):
    from pdao.accounts.choices import OrganisationType
    from tests.factories import OrganisationFactory

    other = user_with_role(
        Role.PROVIDER, organisation=OrganisationFactory(type=OrganisationType.PROVIDER)
    )
    task = _scheduled_task(bureau_admin, provider)
    with pytest.raises(RuleViolation):
        demands.complete_task(task, by=other, resource=_resource(other, "别家资源", ["a"]))
    task.refresh_from_db()
    assert task.completed_at is None


def test_overdue_tasks_surface_on_the_bureau_workbench(provider, bureau_admin, client_for):
    task = _scheduled_task(bureau_admin, provider)
    type(task).objects.filter(pk=task.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    task.refresh_from_db()
    assert task.is_overdue
    sections = client_for(bureau_admin).get("/workbench/").context["sections"]
    items = {str(i.title): i for s in sections for i in s["items"]}
    assert items["逾期的调度任务"].count == 1 and items["逾期的调度任务"].urgent
    provider_items = {
        str(i.title): i.count
        for s in client_for(provider).get("/workbench/").context["sections"]
        for i in s["items"]
    }
    assert provider_items["待完成的调度任务"] == 1
