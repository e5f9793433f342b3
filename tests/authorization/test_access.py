"""The access decision, its freshness after state changes, caps and ranking, and expiry."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pdao.authorization import access, services
from pdao.authorization.choices import ApplicationStatus, AuthorizationStatus
from pdao.authorization.models import Authorization, Cap
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from tests.authorization.conftest import verified_operator
from tests.conftest import run_worker


@pytest.fixture
def live(city):
    application = city.to_decision(city.draft((city.social, ["aggregate", "dp"])))
    return city.activate(application)


def _ask(city, live, **overrides):
    question = {
        "operator": city.operator.organisation,
        "authorization": live.code,
        "resource": city.social.code,
        "field": "缴费金额",
        "output_form": "aggregate",
    }
    return access.decide(**(question | overrides))


def test_each_refusal_says_why(city, live):
    assert _ask(city, live).code == "allowed"
    rival = verified_operator(city.bureau)
    cases = {
        "not_operator": {"operator": rival.organisation},
        "no_authorization": {"authorization": "LZ-AU-1999-0001"},
        "resource_out_of_scope": {"resource": city.enterprises.code},
        "field_out_of_scope": {"field": "不存在的字段"},
        "output_form_not_allowed": {"output_form": "deidentified"},
        "not_started": {"today": live.starts_on - timedelta(days=1)},
        "expired": {"today": live.ends_on + timedelta(days=1)},
    }
    for code, change in cases.items():
        decision = _ask(city, live, **change)
        assert (decision.allowed, decision.code) == (False, code)
        assert decision.message


def test_suspension_takes_effect_at_the_very_next_decision(city, live, django_assert_num_queries):
    assert _ask(city, live)  # scope now cached
    with django_assert_num_queries(1):  # cached scope: one indexed read of the row
        assert _ask(city, live)
    services.suspend(live, by=city.bureau, reason="疑似超范围使用")
    assert _ask(city, live).code == "suspended"
    assert isinstance(access.grant(live.code), access.Decision)
    with pytest.raises(RuleViolation, match="理由"):
        services.resume(live, by=city.bureau, reason="")
    services.resume(live, by=city.bureau, reason="核查无违规")
    assert _ask(city, live).allowed
    services.revoke(live, by=city.bureau, reason="严重违规")
    assert _ask(city, live).code == "revoked"
    with pytest.raises(RuleViolation):
        services.resume(live, by=city.bureau, reason="x")
    types = set(LedgerEntry.objects.filter(object_id=str(live.pk)).values_list("type", flat=True))
    assert {"authorization.suspended", "authorization.active", "authorization.revoked"} <= types


def test_supervisor_may_suspend_but_only_the_bureau_lifts(city, live, supervisor):
    services.suspend(live, by=supervisor, reason="应急处置")
    with pytest.raises(RuleViolation, match="权限"):
        services.resume(live, by=supervisor, reason="x")
    with pytest.raises(RuleViolation, match="权限"):
        services.suspend(live, by=city.operator, reason="x")


@pytest.mark.django_db(transaction=True)
def test_expiry_is_scheduled_at_activation_and_run_by_the_worker(city):
    application = city.to_decision(city.draft((city.social, ["aggregate"])))
    authorization = city.activate(application)
    task = DBTaskResult.objects.get(task_path="pdao.authorization.tasks.expire_authorization")
    assert task.args_kwargs["args"] == [authorization.pk]
    assert task.run_after > timezone.now() + timedelta(days=300)
    # Not due: the worker leaves it queued.
    run_worker()
    assert DBTaskResult.objects.get(pk=task.pk).status == "READY"
    # The term ends: the task, once due, expires it.
    Authorization.objects.filter(pk=authorization.pk).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())
    run_worker()
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.EXPIRED
    assert _ask(city, authorization).code == "expired"


def test_expire_command_is_a_safety_net(city, live):
    Authorization.objects.filter(pk=live.pk).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    assert services.expire_due() == [live.code]
    assert services.expire_due() == []


def test_renewal_prefills_a_new_application(city, live):
    renewal = services.renew(live, by=city.operator)
    assert renewal.status == ApplicationStatus.DRAFT and renewal.renewal_of == live
    assert renewal.scenario == live.application.scenario
    old = [
        (i.resource_id, i.output_forms, sorted(f.field_id for f in i.fields.all()))
        for i in live.application.items.all()
    ]
    new = [
        (i.resource_id, i.output_forms, sorted(f.field_id for f in i.fields.all()))
        for i in renewal.items.all()
    ]
    assert new == old


def test_competing_applications_for_a_capped_resource_are_ranked(city):
    Cap.objects.create(scope="resource", resource=city.social, max_active=1)
    rival = verified_operator(city.bureau)
    weaker = city.to_decision(city.draft((city.social, ["aggregate"])), scores=(60, 62))
    stronger = city.to_decision(
        city.draft((city.social, ["aggregate"]), operator=rival), scores=(90, 88)
    )
    ranking = services.competitors(weaker)
    assert [a.pk for a in ranking] == [stronger.pk, weaker.pk]
    with pytest.raises(RuleViolation, match="越过排名"):
        services.decide(weaker, by=city.bureau, approve=True, reason="本地企业")
    weaker.refresh_from_db()
    assert weaker.status == ApplicationStatus.DECISION
    services.decide(
        weaker,
        by=city.bureau,
        approve=True,
        reason="本地企业",
        passed_over_reason="高分申请单位的安全方案存在重大缺陷,经专家复核",
    )
    weaker.refresh_from_db()
    assert weaker.passed_over_reason
    agreement = weaker.agreement
    services.sign_agreement(agreement, by=city.operator)
    services.sign_agreement(agreement, by=city.bureau)
    # The cap is now full: the other cannot be approved.
    with pytest.raises(RuleViolation, match="上限"):
        services.decide(stronger, by=city.bureau, approve=True, reason="x", passed_over_reason="")
