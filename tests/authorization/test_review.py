"""The review workflow end to end through the services, and every way it refuses."""

import pytest
from django.core import mail

from pdao.accounts.services import grant_role
from pdao.audit.models import AuditEvent
from pdao.authorization import access, services
from pdao.authorization.choices import ApplicationStatus, AuthorizationStatus
from pdao.authorization.models import Agreement, Application
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.notifications.models import Notification
from tests.authorization.conftest import pass_notice
from tests.factories import UserFactory

S = ApplicationStatus


def test_happy_path_from_draft_to_active_authorization(city, django_capture_on_commit_callbacks):
    application = city.draft((city.social, ["aggregate", "dp"]), (city.enterprises, ["aggregate"]))
    assert application.status == S.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        city.to_decision(application)
    assert application.status == S.DECISION
    assert application.mean_score == 75
    assert {o.provider for o in application.opinions.all()} == {
        city.provider.organisation,
        city.other_provider.organisation,
    }
    assert application.risk["score"] > 0 and len(application.risk["factors"]) == 5

    with django_capture_on_commit_callbacks(execute=True):
        authorization = city.activate(application)
    application.refresh_from_db()
    assert application.status == S.ACTIVE
    assert authorization.status == AuthorizationStatus.ACTIVE
    assert authorization.agreement.signatures.count() == 2
    assert LedgerEntry.objects.filter(
        type="authorization.agreement", object_id=str(authorization.pk)
    ).exists()
    decision = access.decide(
        operator=city.operator.organisation,
        authorization=authorization.code,
        resource=city.social.code,
        field="缴费金额",
        output_form="dp",
    )
    assert decision.allowed, decision
    # Every step was audited, and the operator was told by message and e-mail.
    actions = set(
        AuditEvent.objects.filter(
            object_type="authorization.application", object_id=str(application.pk)
        ).values_list("action", flat=True)
    )
    assert {
        "authz.submit",
        "authz.accept",
        "authz.opinion",
        "authz.assessment",
        "authz.score",
        "authz.scoring_closed",
        "authz.notice_closed",
        "authz.decide",
    } <= actions
    assert Notification.objects.filter(recipient=city.operator, subject__contains="授权已生效")
    assert any("授权已生效" in m.subject for m in mail.outbox)


def test_a_step_out_of_order_is_refused_and_changes_nothing(city):
    application = city.draft((city.social, ["aggregate"]))
    for step in (
        lambda: services.accept(application, by=city.bureau),
        lambda: services.close_scoring(application, by=city.bureau),
        lambda: services.close_notice(application, by=city.bureau),
        lambda: services.decide(application, by=city.bureau, approve=True, reason="x"),
        lambda: services.give_opinion(application, by=city.provider, verdict="agree", text=""),
    ):
        with pytest.raises(RuleViolation):
            step()
    application.refresh_from_db()
    assert application.status == S.DRAFT


def test_only_the_bureau_accepts_and_decides(city):
    application = city.draft((city.social, ["aggregate"]))
    services.submit(application, by=city.operator)
    for intruder in (city.operator, city.provider, city.reviewers[0]):
        with pytest.raises(RuleViolation, match="权限"):
            services.accept(application, by=intruder)


def test_return_for_correction_then_resubmit(city):
    application = city.draft((city.social, ["aggregate"]))
    services.submit(application, by=city.operator)
    with pytest.raises(RuleViolation, match="理由"):
        services.return_for_correction(application, by=city.bureau, reason=" ")
    services.return_for_correction(application, by=city.bureau, reason="安全方案过于简略")
    assert application.status == S.RETURNED and application.return_reason
    services.update_application(application, by=city.operator, security_plan="详细方案……")
    services.submit(application, by=city.operator)
    assert application.status == S.SUBMITTED and application.return_reason == ""


def test_submitted_application_cannot_be_edited_but_can_be_withdrawn(city):
    application = city.draft((city.social, ["aggregate"]))
    services.submit(application, by=city.operator)
    with pytest.raises(RuleViolation, match="不能修改"):
        services.update_application(application, by=city.operator, scenario="改名")
    services.withdraw(application, by=city.operator, reason="方案调整")
    assert application.status == S.WITHDRAWN


def test_opinions_come_from_the_providers_whose_data_is_requested(city):
    application = city.draft((city.social, ["aggregate"]))
    services.submit(application, by=city.operator)
    services.accept(application, by=city.bureau)
    with pytest.raises(RuleViolation, match="无需提出意见"):
        services.give_opinion(application, by=city.other_provider, verdict="agree", text="")
    with pytest.raises(RuleViolation, match="理由"):
        services.give_opinion(application, by=city.provider, verdict="disagree", text="")
    services.give_opinion(application, by=city.provider, verdict="conditional", text="仅限聚合")
    application.refresh_from_db()
    assert application.status == S.ASSESSMENT


def _to_scoring(city):
    application = city.draft((city.social, ["aggregate"]))
    services.submit(application, by=city.operator)
    services.accept(application, by=city.bureau)
    services.give_opinion(application, by=city.provider, verdict="agree", text="")
    application.refresh_from_db()
    services.complete_assessment(application, by=city.bureau)
    return application


def test_conflict_of_interest_excludes_author_and_own_organisation(city):
    application = _to_scoring(city)
    colleague = UserFactory(organisation=city.operator.organisation, roles=[Role.REVIEWER])
    grant_role(city.operator, Role.REVIEWER, by=city.bureau)
    city.operator.refresh_from_db()
    criteria = dict.fromkeys(services.CRITERIA, 90)
    with pytest.raises(RuleViolation, match="本单位"):
        services.score(application, by=colleague, criteria=criteria, comment="", no_conflict=True)
    with pytest.raises(RuleViolation, match="利益冲突"):
        services.score(
            application, by=city.operator, criteria=criteria, comment="", no_conflict=True
        )
    with pytest.raises(RuleViolation, match="声明"):
        services.score(
            application, by=city.reviewers[0], criteria=criteria, comment="", no_conflict=False
        )
    services.recuse(application, by=city.reviewers[0], reason="曾为申请单位提供咨询")
    services.score(
        application, by=city.reviewers[1], criteria=criteria, comment="", no_conflict=True
    )
    with pytest.raises(RuleViolation, match="至少需要 2 位"):
        services.close_scoring(application, by=city.bureau)
    assert application.scores.filter(recused=False).count() == 1
    # A conflicted expert is not even shown the application to score.
    assert not Application.objects.visible_to(colleague).filter(pk=application.pk).exists()


def test_scores_are_weighted_and_bounded(city):
    application = _to_scoring(city)
    criteria = {"value": 100, "feasibility": 50, "security": 80, "capability": 60}
    score = services.score(
        application, by=city.reviewers[0], criteria=criteria, comment="", no_conflict=True
    )
    assert score.total == 100 * 0.3 + 50 * 0.2 + 80 * 0.3 + 60 * 0.2
    with pytest.raises(RuleViolation, match="0–100"):
        services.score(
            application,
            by=city.reviewers[1],
            criteria=criteria | {"value": 101},
            comment="",
            no_conflict=True,
        )
    with pytest.raises(RuleViolation, match="已评审"):
        services.score(
            application, by=city.reviewers[0], criteria=criteria, comment="", no_conflict=True
        )


def test_notice_objections_must_be_answered_before_the_decision(city):
    application = _to_scoring(city)
    for reviewer in city.reviewers[:2]:
        services.score(
            application,
            by=reviewer,
            criteria=dict.fromkeys(services.CRITERIA, 70),
            comment="",
            no_conflict=True,
        )
    services.close_scoring(application, by=city.bureau)
    assert application.status == S.NOTICE and application.notice_ends > application.notice_starts
    objection = services.raise_objection(
        application, name="某企业", contact="0772-1234567", text="该场景与我司已在做的项目重复"
    )
    with pytest.raises(RuleViolation, match="期满"):
        services.close_notice(application, by=city.bureau)
    pass_notice(application)
    with pytest.raises(RuleViolation, match="未答复"):
        services.close_notice(application, by=city.bureau)
    with pytest.raises(RuleViolation, match="不在公示期"):
        services.raise_objection(application, name="甲", contact="乙", text="丙")
    services.answer_objection(objection, by=city.bureau, response="场景不同,已核实", upheld=False)
    services.close_notice(application, by=city.bureau)
    assert application.status == S.DECISION


def test_rejection_needs_reasons_and_tells_the_applicant(city):
    application = city.to_decision(city.draft((city.social, ["aggregate"])))
    with pytest.raises(RuleViolation, match="理由"):
        services.decide(application, by=city.bureau, approve=False, reason="")
    services.decide(application, by=city.bureau, approve=False, reason="场景必要性不足")
    assert application.status == S.REJECTED and application.decision_reason == "场景必要性不足"
    assert not Agreement.objects.filter(application=application).exists()


def test_deadlines_are_set_for_each_step(city):
    application = city.draft((city.social, ["aggregate"]))
    services.submit(application, by=city.operator)
    first = application.step_deadline
    assert first is not None and first > application.submitted_at.date()
    services.accept(application, by=city.bureau)
    assert application.step_deadline > first  # opinions get ten working days


def test_an_operator_cannot_see_another_operators_applications(city, client_for):
    from django.urls import reverse

    from tests.authorization.conftest import verified_operator

    mine = city.draft((city.social, ["aggregate"]))
    rival = verified_operator(city.bureau)
    assert not Application.objects.visible_to(rival).filter(pk=mine.pk).exists()
    client = client_for(rival)
    assert (
        client.get(reverse("authorization:application_detail", args=[mine.pk])).status_code == 404
    )
    assert mine.code not in client.get(reverse("authorization:application_list")).content.decode()
    with pytest.raises(RuleViolation):
        services.update_application(mine, by=rival, scenario="篡改")
