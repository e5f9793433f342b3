"""A cost survey to an approved maximum allowed revenue, through the services: each figure
recomputed by hand, each bad input refused with its reason and nothing saved, each step
audited."""

from datetime import date
from decimal import Decimal

import pytest

from pdao.audit.models import AuditEvent
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.finance import services as finance
from pdao.finance.choices import CostCategory, Limit, Standard
from pdao.finance.models import Allowance, CostItem, LimitValue, PricingPeriod
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau(bureau_admin):
    return bureau_admin


@pytest.fixture
def operator(db):
    return user_with_role(Role.OPERATOR)


@pytest.fixture
def period(bureau, operator):
    return finance.open_period(
        by=bureau, operator=operator.organisation, starts_on=date(2026, 1, 1),
        ends_on=date(2028, 12, 31), standard=Standard.FORMAL,
    )  # fmt: skip


@pytest.fixture
def concluded(bureau, operator, period):
    """A survey of 2026: ¥800,000 of platform cost (75 % for industry use), ¥300,000 of staff,
    a ¥100,000 subsidy (75 %), and ¥50,000 of period expenses the reviewer cut to ¥40,000."""
    survey = finance.start_survey(by=bureau, period=period, year=2026)
    for category, text, amount, share in [
        (CostCategory.PLATFORM, "平台建设与运维", "800,000", "75"),
        (CostCategory.STAFF, "专职人员", "300000.00", "100"),
        (CostCategory.SUBSIDY, "市级专项补助", "100,000", "75"),
        (CostCategory.PERIOD_EXPENSES, "管理费用", "50000", "100"),
    ]:
        finance.declare_cost(by=operator, survey=survey, category=category, description=text,
                             amount=amount, industry_percent=share)  # fmt: skip
    finance.submit_survey(by=operator, survey=survey)
    cut = survey.items.get(category=CostCategory.PERIOD_EXPENSES)
    finance.adjust_cost(by=bureau, item=cut, amount="40000", note="超出合理范围的部分不予认定")
    return finance.conclude_survey(by=bureau, survey=survey)


def test_a_concluded_survey_counts_industry_shares_and_deducts_subsidies(concluded):
    # 600,000 + 300,000 − 75,000 + 40,000 = ¥865,000
    assert concluded.cost_fen == 865_000_00


def test_the_mar_of_a_year_is_approved_with_its_document(bureau, concluded):
    finance.record_bond_yield(by=bureau, year=2025, percent="1.6824", source="中国债券信息网")
    allowance = finance.propose_allowance(
        by=bureau, survey=concluded, year_index=2, profit_rate="7.5", tax="30,000"
    )
    # 准许利润 = 865,000 × 7.5 % = 64,875; MAR = 865,000 + 64,875 + 30,000 = ¥959,875.
    assert (allowance.profit_fen, allowance.total_fen) == (64_875_00, 959_875_00)
    assert (allowance.starts_on, allowance.ends_on) == (date(2027, 1, 1), date(2027, 12, 31))
    assert allowance.markup == Decimal("6") and allowance.markup_document == "发改价格〔2025〕65号"
    assert allowance.computed().total == allowance.total_fen
    finance.approve_allowance(by=bureau, allowance=allowance, document="柳发改价格〔2026〕12号")
    allowance.refresh_from_db()
    assert allowance.status == "approved" and allowance.approved_by == bureau
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("pk"))
    assert actions[-3:] == [
        "finance.bond_yield.record", "finance.allowance.propose", "finance.allowance.approve",
    ]  # fmt: skip


def test_a_profit_rate_above_the_limit_is_refused_and_nothing_is_saved(bureau, concluded):
    finance.record_bond_yield(by=bureau, year=2025, percent="1.6824", source="中国债券信息网")
    with pytest.raises(RuleViolation, match=r"7\.6824"):
        finance.propose_allowance(
            by=bureau, survey=concluded, year_index=1, profit_rate="7.6825", tax="0"
        )
    assert not Allowance.objects.exists()
    # At the limit exactly, it is taken.
    finance.propose_allowance(by=bureau, survey=concluded, year_index=1, profit_rate="7.6824",
                              tax="0")  # fmt: skip


def test_a_local_markup_from_its_day_replaces_the_national_one(bureau, concluded):
    finance.record_bond_yield(by=bureau, year=2025, percent="1.5", source="中国债券信息网")
    local = "桂发改价格〔2026〕1号"
    finance.set_limit(by=bureau, limit=Limit.PROFIT_MARKUP, value="5",
                      effective_from=date(2027, 1, 1), document=local)  # fmt: skip
    first = finance.propose_allowance(by=bureau, survey=concluded, year_index=1, profit_rate="7.5",
                                      tax="0")  # fmt: skip
    assert first.markup == Decimal("6")  # year 1 (2026) is before the local value
    with pytest.raises(RuleViolation, match=r"6\.5"):
        finance.propose_allowance(by=bureau, survey=concluded, year_index=2, profit_rate="7.5",
                                  tax="0")  # fmt: skip


def test_without_last_years_bond_yield_no_mar_can_be_proposed(bureau, concluded):
    with pytest.raises(RuleViolation, match="2025"):
        finance.propose_allowance(by=bureau, survey=concluded, year_index=1, profit_rate="5",
                                  tax="0")  # fmt: skip


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "reason"),
    [
        (date(2029, 1, 1), date(2032, 1, 1), "不能超过 3 年"),
        (date(2028, 12, 31), date(2029, 6, 30), "重叠"),
        (date(2030, 1, 1), date(2029, 1, 1), "不能早于"),
    ],
)
def test_a_bad_period_is_refused_and_nothing_is_saved(bureau, operator, period, starts_on,
                                                      ends_on, reason):  # fmt: skip
    with pytest.raises(RuleViolation, match=reason):
        finance.open_period(by=bureau, operator=operator.organisation, starts_on=starts_on,
                            ends_on=ends_on, standard=Standard.FORMAL)  # fmt: skip
    assert PricingPeriod.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "share", "reason"),
    [("-5", "100", "不能为负数"), ("12.345", "100", "两位小数"), ("一百", "100", "有效的金额"),
     ("100", "101", "不能超过 100"), ("100", "-1", "不小于 0")],
)  # fmt: skip
def test_a_bad_cost_is_refused_with_its_reason(bureau, operator, period, amount, share, reason):
    survey = finance.start_survey(by=bureau, period=period, year=2026)
    with pytest.raises(RuleViolation, match=reason):
        finance.declare_cost(by=operator, survey=survey, category=CostCategory.STAFF,
                             description="人员", amount=amount, industry_percent=share)  # fmt: skip
    assert not CostItem.objects.exists()


def test_only_the_surveyed_operator_declares_and_only_the_bureau_regulates(bureau, operator,
                                                                         period):  # fmt: skip
    survey = finance.start_survey(by=bureau, period=period, year=2026)
    other = user_with_role(Role.OPERATOR)
    with pytest.raises(RuleViolation, match="本单位"):
        finance.declare_cost(by=other, survey=survey, category=CostCategory.STAFF,
                             description="人员", amount="1", industry_percent="100")  # fmt: skip
    for user in (operator, user_with_role(Role.FINANCE), user_with_role(Role.SUPERVISOR), None):
        with pytest.raises(RuleViolation, match="权限"):
            finance.set_limit(by=user, limit=Limit.DEVIATION_THRESHOLD, value="8",
                              effective_from=date(2027, 1, 1), document="x")  # fmt: skip
    assert not LimitValue.objects.exists()


def test_an_adjustment_that_differs_must_say_why(bureau, operator, period):
    survey = finance.start_survey(by=bureau, period=period, year=2026)
    item = finance.declare_cost(
        by=operator, survey=survey, category=CostCategory.STAFF, description="人员",
        amount="100", industry_percent="100",
    )  # fmt: skip
    with pytest.raises(RuleViolation, match="不能进行此操作"):
        finance.adjust_cost(by=bureau, item=item, amount="90", note="")  # still declaring
    finance.submit_survey(by=operator, survey=survey)
    with pytest.raises(RuleViolation, match="核定说明"):
        finance.adjust_cost(by=bureau, item=item, amount="90", note="")
    item.refresh_from_db()
    assert item.adjusted_fen is None


def test_finance_verify_recomputes_surveys_and_allowances(bureau, concluded):
    from pdao.finance import verify
    from pdao.finance.models import CostSurvey

    finance.record_bond_yield(by=bureau, year=2025, percent="2", source="中国债券信息网")
    allowance = finance.propose_allowance(by=bureau, survey=concluded, year_index=1,
                                          profit_rate="5", tax="0")  # fmt: skip
    assert verify.problems() == []
    Allowance.objects.filter(pk=allowance.pk).update(profit_fen=0, total_fen=865_000_00)
    assert verify.problems() == [
        f"allowance {allowance.pk}: holds cost/profit/total (86500000, 0, 86500000), "
        "recomputed (86500000, 4325000, 90825000)",
    ]
    CostSurvey.objects.filter(pk=concluded.pk).update(cost_fen=1)
    assert verify.problems()[0] == f"cost survey {concluded.pk}: holds 1 fen, items give 86500000"
    assert allowance.period.code.startswith("LZ-PP-")
