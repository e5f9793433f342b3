"""Disclosure, performance evaluation and the periodic work report, through their services."""

import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from pdao.authorization import services as authorizations
from pdao.authorization.models import Authorization
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.market.models import RelatedGroup
from pdao.showcase import disclosures, evaluations, kpis, workreports
from pdao.showcase.choices import RectificationStatus, Result
from pdao.showcase.models import Disclosure
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
LAST_YEAR = timezone.localdate().year - 1


def _since_last_year(authorization):
    Authorization.objects.filter(pk=authorization.pk).update(
        created_at=datetime(LAST_YEAR, 3, 1, 9, tzinfo=SHANGHAI),
        starts_on=datetime(LAST_YEAR, 3, 1).date(),
    )
    authorization.refresh_from_db()


# --- Disclosure ---------------------------------------------------------------------------------


def test_the_operator_and_the_bureau_draft_edit_and_publish_last_year(showcase):
    m = showcase.market
    _since_last_year(m.authorization)
    operator, bureau = showcase.operator, m.city.bureau
    assert [o for o, _p in disclosures.parties(LAST_YEAR)] == [
        bureau.organisation,
        operator.organisation,
    ]
    mine = disclosures.draft(by=operator, year=LAST_YEAR)
    assert mine.content["products"][0]["code"] == showcase.product.code
    assert mine.content["products"][0]["prices"].startswith(showcase.product.plans.first().name)
    assert mine.content["scenarios"][0]["scenario"] == showcase.scenario.name
    with pytest.raises(RuleViolation, match="已起草"):
        disclosures.draft(by=operator, year=LAST_YEAR)
    with pytest.raises(RuleViolation, match="联系方式"):
        disclosures.publish(mine, by=operator)
    with pytest.raises(RuleViolation, match="本单位"):
        disclosures.save(mine, by=user_with_role(Role.OPERATOR), contact="x", statement="")
    disclosures.save(mine, by=operator, contact="0772-1234567", statement="年度运营平稳。")
    published = disclosures.publish(mine, by=operator)
    assert published.sha256 == disclosures.digest(published)
    entry = LedgerEntry.objects.get(type="showcase.disclosure", object_id=str(published.pk))
    assert entry.content_hash == published.sha256
    with pytest.raises(RuleViolation, match="已公开"):
        disclosures.save(published, by=operator, contact="改", statement="")

    theirs = disclosures.draft(by=bureau, year=LAST_YEAR)
    assert theirs.content["kind"] == "bureau"
    assert theirs.content["authorizations"][0]["code"] == m.authorization.code
    disclosures.save(theirs, by=bureau, contact="市数据局 0772-0000000", statement="")
    disclosures.publish(theirs, by=bureau)

    # The public pages, the files and the year's workbook.
    client = Client()
    page = client.get(f"/showcase/disclosures/{LAST_YEAR}/").content.decode()
    assert operator.organisation.name in page and bureau.organisation.name in page
    workbook = client.get(f"/showcase/disclosures/{LAST_YEAR}.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook.content))
    cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
    assert showcase.product.code in cells and m.authorization.code in cells
    pdf = client.get(f"/showcase/disclosures/d/{published.pk}.pdf")
    assert pdf.content.startswith(b"%PDF")
    # A draft is not public.
    Disclosure.objects.filter(pk=theirs.pk).update(status="draft", published_at=None)
    assert client.get(f"/showcase/disclosures/d/{theirs.pk}/").status_code == 404


def test_a_party_that_has_not_published_by_31_march_is_late(showcase):
    m = showcase.market
    _since_last_year(m.authorization)
    after = datetime(LAST_YEAR + 1, 4, 2).date()
    before = datetime(LAST_YEAR + 1, 3, 30).date()
    assert disclosures.late(before) == []
    late = disclosures.late(after)
    assert (LAST_YEAR, showcase.operator.organisation) in late
    assert (LAST_YEAR, m.city.bureau.organisation) in late
    assert LAST_YEAR in disclosures.due_for(showcase.operator.organisation, after)
    with pytest.raises(RuleViolation, match="无需披露"):
        disclosures.draft(by=showcase.operator, year=LAST_YEAR - 1)


# --- Performance evaluation ---------------------------------------------------------------------


def test_the_scorecard_counts_the_operators_year_and_the_result_follows_the_scores(showcase):
    m = showcase.market
    first, second, third = showcase.experts
    evaluation = evaluations.start(m.authorization, by=showcase.taskforce, year=2026)
    card = evaluation.scorecard
    # Filed and listed (10); 3 answered calls in 2026 (4); 2 consumers (2); no actions or
    # findings (10); no disclosure owed yet for this authorization's years (5) → 31.
    assert {k: v["points"] for k, v in card.items()} == {
        "products": 10,
        "calls": 4,
        "consumers": 2,
        "security": 10,
        "disclosure": 5,
    }
    assert evaluation.quantitative == Decimal("31.00")
    with pytest.raises(RuleViolation, match="已发起"):
        evaluations.start(m.authorization, by=showcase.taskforce, year=2026)
    conflicted = user_with_role(
        Role.REVIEWER, organisation=OrganisationFactory(type="reviewer_body")
    )
    RelatedGroup.objects.create(
        name="集团", credit_codes=[m.operator.organisation.credit_code,
                                  conflicted.organisation.credit_code],
        reason="r", declared_by=m.city.bureau,
    )  # fmt: skip
    scores = {"compliance": 80, "security": 70, "service": 60, "impact": 50}  # mean 65.00
    with pytest.raises(RuleViolation, match="关联方"):
        evaluations.score(evaluation, by=conflicted, scores=scores, comment="x")
    evaluations.score(evaluation, by=first, scores=scores, comment="一般")
    with pytest.raises(RuleViolation, match="至少 2 位"):
        evaluations.conclude(evaluation, by=showcase.taskforce)
    evaluations.score(
        evaluation, by=second, comment="尚可",
        scores={"compliance": 70, "security": 60, "service": 50, "impact": 40},  # mean 55.00
    )  # fmt: skip
    concluded = evaluations.conclude(evaluation, by=showcase.taskforce, note="需改进")
    # Qualitative (65 + 55) / 2 = 60.00; total 31 + 60 × 0.6 = 67.00 → 基本合格, 60 days.
    assert (concluded.qualitative, concluded.total) == (Decimal("60.00"), Decimal("67.00"))
    assert concluded.result == Result.BASIC
    rectification = concluded.rectification
    assert rectification.due_on == timezone.localdate() + timedelta(days=60)
    with pytest.raises(RuleViolation, match="尚未报送"):
        evaluations.accept_rectification(rectification, by=showcase.taskforce)
    evaluations.report_rectification(rectification, by=m.operator, report="已完善服务流程。")
    accepted = evaluations.accept_rectification(rectification, by=showcase.taskforce)
    assert accepted.status == RectificationStatus.ACCEPTED
    # 基本合格 still allows renewal.
    assert evaluations.renewal_refusal(m.authorization) is None
    with pytest.raises(RuleViolation, match="已出结果"):  # the third expert comes too late
        evaluations.score(evaluation, by=third, scores=scores, comment="迟到")


def test_a_failed_evaluation_blocks_renewal_as_the_taskforce_configured(showcase):
    m = showcase.market
    evaluation = evaluations.start(m.authorization, by=showcase.taskforce, year=2026)
    low = {"compliance": 10, "security": 10, "service": 10, "impact": 10}
    for expert in showcase.experts[:2]:
        evaluations.score(evaluation, by=expert, scores=low, comment="差")
    concluded = evaluations.conclude(evaluation, by=showcase.taskforce)
    # 31 + 10 × 0.6 = 37.00 → 不合格: no renewal, 90 days to rectify by default.
    assert (concluded.total, concluded.result) == (Decimal("37.00"), Result.FAIL)
    assert concluded.rectification.due_on == timezone.localdate() + timedelta(days=90)
    with pytest.raises(RuleViolation, match="不得申请续期"):
        authorizations.renew(m.authorization, by=m.operator)
    # The taskforce may decide otherwise.
    evaluations.set_consequence(
        by=showcase.taskforce, result=Result.FAIL, allow_renewal=True, days=30, note="限期整改"
    )
    assert authorizations.renew(m.authorization, by=m.operator).renewal_of == m.authorization


# --- The periodic work report -------------------------------------------------------------------


def test_the_monthly_report_has_the_figures_and_two_charts_and_is_filed_once(showcase):
    month = kpis.month_of(timezone.localdate())
    kpis.record_month(month)
    with pytest.raises(RuleViolation, match="格式"):
        workreports.generate(by=showcase.taskforce, period="month", label="2026-13")
    report = workreports.generate(by=showcase.taskforce, period="month", label=month)
    from docx import Document

    document = Document(io.BytesIO(workreports.report_bytes(report, "docx")))
    assert len(document.inline_shapes) == 2  # the targets and the monthly calls
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "市级典型场景" in cells and "当月成功调用" in cells
    assert showcase.product.code in cells  # filed this month
    assert workreports.report_bytes(report, "pdf").startswith(b"%PDF")
    again = workreports.generate(by=showcase.taskforce, period="month", label=month)
    assert again.pk == report.pk
    workreports.file(report, by=showcase.taskforce, note="同意")
    with pytest.raises(RuleViolation, match="已归档"):
        workreports.generate(by=showcase.taskforce, period="month", label=month)
    assert LedgerEntry.objects.filter(type="showcase.report_file").exists()
    assert workreports.months_of("quarter", "2026-Q3") == ["2026-07", "2026-08", "2026-09"]
    assert workreports.previous("quarter", "2026-Q1") == "2025-Q4"


@pytest.mark.parametrize("label", ["0000-01", "1900-01", "2026-10\n", "２０２６-10", "2026-13"])
def test_a_period_that_is_not_a_real_month_of_the_platform_is_refused(showcase, label):
    with pytest.raises(RuleViolation):
        workreports.generate(by=showcase.taskforce, period="month", label=label)


def test_an_ended_authorization_is_not_evaluated_and_a_staffer_of_an_operator_never_scores(
    showcase,
):
    m = showcase.market
    evaluation = evaluations.start(m.authorization, by=showcase.taskforce, year=2026)
    competitor = user_with_role(
        Role.REVIEWER, organisation=user_with_role(Role.OPERATOR).organisation
    )
    with pytest.raises(RuleViolation, match="同业竞争"):
        evaluations.score(
            evaluation, by=competitor, comment="x",
            scores=dict.fromkeys(("compliance", "security", "service", "impact"), 50),
        )  # fmt: skip
    authorizations.revoke(m.authorization, by=m.city.bureau, reason="违约")
    with pytest.raises(RuleViolation, match="已终止"):
        evaluations.start(m.authorization, by=showcase.taskforce, year=2026)
    with pytest.raises(RuleViolation, match="300"):
        evaluations.set_consequence(
            by=showcase.taskforce, result=Result.FAIL, allow_renewal=False, days=30, note="长" * 301
        )
