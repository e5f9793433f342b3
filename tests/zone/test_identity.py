"""Who asks the zone: a person of the authorized operator, or one of the platform's callers by
name — never "nobody". Each is checked explicitly and recorded on the query and its audit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.core import identity
from pdao.core.rules import RuleViolation
from pdao.zone import services
from pdao.zone.models import ZoneQuery

SQL = "SELECT 区县, COUNT(DISTINCT 身份证号) AS 人数 FROM 社保缴纳记录 GROUP BY 区县"


@pytest.mark.parametrize("caller", [identity.GATEWAY, identity.CLI])
def test_a_platform_caller_is_recorded_by_name_on_the_query_and_its_audit(live, caller):
    query = services.run_query(live, by=caller, sql=SQL, form="aggregate")
    assert query.decision == "released"
    query.refresh_from_db()
    assert query.user is None and query.system == caller.code
    assert query.actor is caller and query.actor_label == str(caller.label)
    events = AuditEvent.objects.filter(object_type="zone.zonequery", object_id=str(query.pk))
    assert {e.system for e in events} == {caller.code}
    assert all(e.actor_id is None and e.actor_label == str(caller.label) for e in events)


@pytest.mark.parametrize("caller", [None, identity.SCHEDULER])
def test_no_one_and_the_scheduler_may_not_query_a_workspace(live, caller):
    with pytest.raises(RuleViolation):
        services.run_query(live, by=caller, sql=SQL, form="aggregate")
    assert not ZoneQuery.objects.exists()


def test_a_persons_query_names_the_person_and_no_system(city, live):
    query = services.run_query(live, by=city.operator, sql=SQL, form="aggregate")
    assert query.user == city.operator and query.system == ""
    event = AuditEvent.objects.get(action="zone.query", object_id=str(query.pk))
    assert event.actor_id == city.operator.pk and event.system == ""


def test_a_model_output_leaves_the_workspace_only_through_the_platforms_callers(city, live):
    refused = services.run_query(live, by=city.operator, sql=SQL, form="model")
    assert refused.decision == "refused" and refused.rule == "model.product_only"


def test_the_janitor_closes_a_forgotten_query_as_the_scheduler(city, live):
    query = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    assert services.mark_interrupted(now=timezone.now() + timedelta(hours=1)) == 1
    event = AuditEvent.objects.get(action="zone.query.interrupted", object_id=str(query.pk))
    assert event.system == identity.SCHEDULER.code and event.actor_id is None
