"""Typical-scenario review: nomination by the domain's department, two experts scoring on the
published weights (recomputed here by hand), the conflict-of-interest rule, the taskforce's
decision, the public showcase and the national dossier."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from pdao.accounts.choices import OrganisationType
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.market.models import RelatedGroup
from pdao.showcase import scenarios, typical
from pdao.showcase.choices import NominationStatus
from tests.factories import OrganisationFactory, user_with_role
from tests.showcase.conftest import WEIGHTS, png

pytestmark = pytest.mark.django_db

# Expert 1: 90·30 + 80·20 + 70·20 + 85·15 + 75·15 = 2700+1600+1400+1275+1125 = 8100 → 81.00
# Expert 2: 77·30 + 66·20 + 59·20 + 93·15 + 81·15 = 2310+1320+1180+1395+1215 = 7420 → 74.20
# Mean (81.00 + 74.20) / 2 = 77.60
FIRST = {"effect": 90, "innovation": 80, "leadership": 70, "security": 85, "replicability": 75}
SECOND = {"effect": 77, "innovation": 66, "leadership": 59, "security": 93, "replicability": 81}


def nominate(showcase):
    return typical.nominate(showcase.scenario, by=showcase.department, reason="成效显著，可复制。")


def scored(showcase):
    nomination = nominate(showcase)
    first, second, _third = showcase.experts
    typical.score(nomination, by=first, scores=FIRST, comment="好", no_conflict=True)
    typical.score(nomination, by=second, scores=SECOND, comment="较好", no_conflict=True)
    return nomination


def test_weights_are_whole_percentages_adding_up_to_100(showcase):
    with pytest.raises(RuleViolation, match="合计为 100"):
        typical.publish_criteria(by=showcase.taskforce, weights=WEIGHTS | {"effect": 31}, note="x")
    with pytest.raises(RuleViolation, match="整数"):
        typical.publish_criteria(
            by=showcase.taskforce, weights=WEIGHTS | {"effect": "3.5"}, note="x"
        )
    assert typical.criteria_in_force().weights == WEIGHTS


def test_only_the_department_leading_the_domain_nominates_a_scenario_in_use(showcase):
    elsewhere = user_with_role(
        Role.INDUSTRY_LEAD, organisation=OrganisationFactory(type=OrganisationType.INDUSTRY)
    )
    with pytest.raises(RuleViolation, match="主管部门"):
        typical.nominate(showcase.scenario, by=elsewhere, reason="x")
    scenarios.save_case(showcase.scenario, by=showcase.operator, outcomes="")
    with pytest.raises(RuleViolation, match="案例"):
        nominate(showcase)
    scenarios.save_case(showcase.scenario, by=showcase.operator, outcomes="成效")
    showcase.product.deliveries.all().delete()
    with pytest.raises(RuleViolation, match="成功交付"):
        nominate(showcase)


def test_two_experts_score_on_the_published_weights_and_the_taskforce_confirms(showcase, client):
    nomination = nominate(showcase)
    with pytest.raises(RuleViolation, match="评审中"):  # experts score what they read
        scenarios.save_case(showcase.scenario, by=showcase.operator, outcomes="改写")
    with pytest.raises(RuleViolation, match="该场景已在评审中"):
        nominate(showcase)
    first, second, third = showcase.experts
    assert typical.score(
        nomination, by=first, scores=FIRST, comment="好", no_conflict=True
    ).total == Decimal("81.00")
    with pytest.raises(RuleViolation, match="至少 2 位"):
        typical.decide(nomination, by=showcase.taskforce, confirm=True, note="")
    typical.recuse(nomination, by=third, reason="曾为其提供咨询")
    with pytest.raises(RuleViolation, match="至少 2 位"):  # a recusal does not count
        typical.decide(nomination, by=showcase.taskforce, confirm=True, note="")
    with pytest.raises(RuleViolation, match="声明"):
        typical.score(nomination, by=second, scores=SECOND, comment="x", no_conflict=False)
    with pytest.raises(RuleViolation, match="0–100"):
        typical.score(
            nomination, by=second, scores=SECOND | {"effect": 101}, comment="x", no_conflict=True
        )
    typical.score(nomination, by=second, scores=SECOND, comment="较好", no_conflict=True)
    with pytest.raises(RuleViolation, match="已评审"):
        typical.score(nomination, by=first, scores=FIRST, comment="再评", no_conflict=True)

    decided = typical.decide(nomination, by=showcase.taskforce, confirm=True, note="")
    assert decided.status == NominationStatus.CONFIRMED
    assert decided.mean_score == Decimal("77.60")
    assert typical.counts()["typical"] == 1

    page = client.get(reverse("showcase:home")).content.decode()
    assert showcase.scenario.name in page
    assert (
        client.get(reverse("showcase:scenario", args=[showcase.scenario.code])).status_code == 200
    )
    with pytest.raises(RuleViolation, match="已办结"):
        typical.decide(nomination, by=showcase.taskforce, confirm=False, note="改判")


def test_a_declined_nomination_needs_a_reason_and_stays_off_the_public_page(showcase, client):
    nomination = scored(showcase)
    with pytest.raises(RuleViolation, match="认定意见"):
        typical.decide(nomination, by=showcase.taskforce, confirm=False, note=" ")
    typical.decide(nomination, by=showcase.taskforce, confirm=False, note="推广价值有限")
    assert showcase.scenario.name not in client.get(reverse("showcase:home")).content.decode()
    nominate(showcase)  # it may be nominated again next round


@pytest.mark.parametrize("who", ["operator", "department", "applicant", "related"])
def test_an_expert_with_a_conflict_of_interest_cannot_score(showcase, who):
    nomination = nominate(showcase)
    operator = showcase.operator.organisation
    if who == "operator":  # a data service firm whose staff also review
        expert = user_with_role(Role.REVIEWER, organisation=operator)
    elif who == "department":
        expert = user_with_role(Role.REVIEWER)
        expert.organisation = showcase.department.organisation
    elif who == "applicant":
        expert = showcase.market.authorization.application.created_by
    else:
        expert = user_with_role(Role.REVIEWER)
        RelatedGroup.objects.create(
            name="同一集团", credit_codes=[operator.credit_code, expert.organisation.credit_code],
            reason="母子公司", declared_by=showcase.market.city.bureau,
        )  # fmt: skip
    assert typical.conflict_of(nomination, expert)
    if who != "applicant":
        with pytest.raises(RuleViolation, match="利益冲突"):
            typical.score(nomination, by=expert, scores=FIRST, comment="x", no_conflict=True)
    assert nomination.scores.count() == 0


def test_the_national_dossier_holds_the_case_the_use_and_the_scores_and_is_anchored(showcase):
    scenarios.add_image(showcase.scenario, by=showcase.operator, data=png(), caption="平台界面")
    nomination = scored(showcase)
    with pytest.raises(RuleViolation, match="已认定"):
        typical.package(nomination, by=showcase.taskforce)
    typical.decide(nomination, by=showcase.taskforce, confirm=True, note="")
    packaged = typical.package(nomination, by=showcase.taskforce)
    word = typical.package_bytes(packaged, "docx")
    pdf = typical.package_bytes(packaged, "pdf")
    assert pdf.startswith(b"%PDF")
    from docx import Document

    document = Document(io.BytesIO(word))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert showcase.scenario.name in document.core_properties.title
    assert "授信审批由 5 天缩短到 1 天。" in text and "平台界面" in text
    assert len(document.inline_shapes) == 1  # the case image
    assert cells[5:8] == ["3", "2", "2"]  # calls, consumers, months in production
    assert "81.00" in cells and "74.20" in cells
    assert showcase.product.code in cells
    import hashlib

    entry = LedgerEntry.objects.get(type="showcase.package")
    assert entry.content_hash == hashlib.sha256(word).hexdigest()
    assert typical.counts()["national"] == 1


def test_a_confirmed_case_keeps_the_version_it_was_confirmed_on(showcase):
    nomination = scored(showcase)
    typical.decide(nomination, by=showcase.taskforce, confirm=True, note="")
    with pytest.raises(RuleViolation, match="认定时的版本"):
        scenarios.save_case(showcase.scenario, by=showcase.operator, outcomes="改写")
    with pytest.raises(RuleViolation, match="认定时的版本"):
        scenarios.add_image(showcase.scenario, by=showcase.operator, data=png(), caption="新图")


def test_a_decision_that_is_neither_confirm_nor_decline_is_refused(showcase, client_for):
    nomination = scored(showcase)
    client_for(showcase.taskforce).post(
        reverse("showcase:nomination_decide", args=[nomination.code]),
        {"decision": "bogus", "note": "x"},
    )
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.NOMINATED


def test_a_reason_with_a_direction_override_is_refused(showcase):
    with pytest.raises(RuleViolation, match="控制字符"):
        typical.nominate(showcase.scenario, by=showcase.department, reason="推荐\u202e由理")
