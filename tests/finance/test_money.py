"""The price mechanism's arithmetic, recomputed by hand on small cases (发改价格〔2025〕65号)."""

from datetime import date
from decimal import Decimal

import pytest

from pdao.core.calendar import add_years
from pdao.finance import money
from pdao.finance.money import Adjustment


def test_mar_is_cost_plus_profit_plus_tax_with_profit_rounded_at_its_line():
    # 经营成本 ¥1,234,567.89, 准许利润率 8.18 %, 税金 ¥12,000.
    # 准许利润 = 1,234,567.89 × 0.0818 = 100,987.653402 → ¥100,987.65 (四舍五入 to the fen)
    a = money.allowance(123_456_789, Decimal("8.18"), 1_200_000)
    assert a.profit == 10_098_765
    assert a.total == 123_456_789 + 10_098_765 + 1_200_000 == 134_755_554
    assert money.yuan(a.total) == Decimal("1347555.54")


def test_profit_exactly_half_a_fen_rounds_up():
    # ¥0.50 × 1 % = ¥0.005: half a fen rounds up to 1 fen; ¥0.49 × 1 % = 0.49 fen rounds to 0.
    assert money.allowance(50, Decimal("1"), 0).profit == 1
    assert money.allowance(49, Decimal("1"), 0).profit == 0


def test_profit_rate_limit_is_last_years_bond_yield_plus_the_markup():
    assert money.profit_rate_limit(Decimal("1.6824"), Decimal("6")) == Decimal("7.6824")


@pytest.mark.parametrize(
    ("actual", "allowed", "expected"),
    [
        (100_000_00, 100_000_00, Adjustment.NONE),
        (110_000_00, 100_000_00, Adjustment.OPERATOR_PRICES),  # exactly 10 % over
        (90_000_00, 100_000_00, Adjustment.OPERATOR_PRICES),  # exactly 10 % under
        (110_000_01, 100_000_00, Adjustment.BUREAU_CAPS),  # one fen beyond
        (89_999_99, 100_000_00, Adjustment.BUREAU_CAPS),
        (112_000_00, 100_000_00, Adjustment.BUREAU_CAPS),  # the demo's 12 %
    ],
)
def test_deviation_within_ten_percent_asks_the_operator_beyond_it_the_bureau(
    actual, allowed, expected
):
    assert money.adjustment(actual, allowed, Decimal("10")) == expected


def test_deviation_is_exact_not_a_float():
    assert money.deviation(110_000_00, 100_000_00) == Decimal("0.1")
    assert money.deviation(1, 3) == Decimal(2) / Decimal(3)
    with pytest.raises(money.MoneyError, match="no_allowance"):
        money.deviation(1, 0)


def test_carry_over_is_the_excess_spread_so_the_parts_add_up():
    # ¥1,000.01 above the MAR over three years: 33,334 + 33,334 + 33,333 fen.
    parts = money.carry_over(100_000_00 + 1_000_01, 100_000_00, years=3)
    assert parts == [33_334, 33_334, 33_333] and sum(parts) == 1_000_01
    assert money.carry_over(99_999_99, 100_000_00, years=2) == [0, 0]  # below: nothing carried
    deducted = money.allowance(100_000_00, Decimal("5"), 0, deduction=parts[0])
    assert deducted.total == 100_000_00 + 5_000_00 - 33_334


def test_a_remittance_is_the_share_rounded_half_up():
    # 10 % of ¥12,345.65 is ¥1,234.565 → ¥1,234.57.
    assert money.share(1_234_565, Decimal("10")) == 123_457


def test_revenue_lines_round_each_line_and_totals_are_sums_of_lines():
    # 3 calls at ¥0.0050 = ¥0.015 → ¥0.02 a line; three such lines are ¥0.06, where the
    # unrounded sum (¥0.045) would round to ¥0.05.
    lines = [money.line(3, Decimal("0.0050")) for _ in range(3)]
    assert lines == [2, 2, 2] and sum(lines) == 6


def test_a_price_change_mid_month_prices_each_call_at_the_price_in_force():
    # 1–14 June at ¥0.0300, from 15 June at ¥0.0250: 1,400 + 1,600 calls.
    before, after = money.line(1_400, Decimal("0.0300")), money.line(1_600, Decimal("0.0250"))
    assert (before, after) == (4_200, 4_000) and before + after == 8_200


@pytest.mark.parametrize(
    ("typed", "code"),
    [("-1", "negative"), ("1.234", "too_precise"), ("abc", "not_a_number"),
     ("1,23", "not_a_number"), ("1e3", "not_a_number"), ("NaN", "not_a_number"),
     ("", "not_a_number"), ("9" * 20, "too_large")],
)  # fmt: skip
def test_typed_amounts_are_refused_with_the_reason(typed, code):
    assert money.problem(money.parse, typed) == code


def test_floats_never_become_money():
    assert money.problem(money.fen, 0.1) == "float"
    assert money.problem(money.line, 1, 0.1) == "float"
    assert money.fen("0.1") + money.fen("0.2") == money.fen("0.3")


def test_a_period_of_three_years_across_a_leap_day_is_allowed_one_day_more_is_not():
    start = date(2024, 2, 29)
    assert add_years(start, 3) == date(2027, 2, 28)
    assert money.period_problem(start, date(2027, 2, 27), []) is None
    assert money.period_problem(start, date(2027, 2, 28), []) == "too_long"
    years = money.period_years(start, date(2027, 2, 27))
    assert years == [
        (date(2024, 2, 29), date(2025, 2, 27)),
        (date(2025, 2, 28), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2027, 2, 27)),
    ]
    # The leap year 2024 counts 366 days in the first operating year of a period from 1 Jan.
    first = money.period_years(date(2024, 1, 1), date(2026, 12, 31))[0]
    assert (first[1] - first[0]).days + 1 == 366


def test_periods_may_touch_but_not_overlap():
    existing = [(date(2024, 1, 1), date(2026, 12, 31))]
    assert money.period_problem(date(2027, 1, 1), date(2027, 12, 31), existing) is None
    assert money.period_problem(date(2026, 12, 31), date(2027, 12, 31), existing) == "overlaps"
    assert money.period_problem(date(2023, 1, 1), date(2024, 1, 1), existing) == "overlaps"
    assert money.period_problem(date(2025, 1, 1), date(2024, 1, 1), []) == "ends_before_start"
