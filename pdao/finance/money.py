"""The arithmetic of the price mechanism (发改价格〔2025〕65号): amounts, the maximum allowed
revenue (最高准许收入, MAR), the annual deviation and its carry-over, and remittances.

Pure: the standard library and `pdao.core.calendar` only, so every figure can be recomputed
by hand and by `manage.py finance_verify` from the records alone.

Amounts are whole 分 (fen, integers): exact on SQLite and PostgreSQL alike, where a decimal
column summed on SQLite goes through floating point. A computed amount is rounded once, 四舍五入
(half up) to the fen, where it arises — a revenue line, a profit, a remittance — and every total
is the sum of rounded amounts, never a rounded sum, so a statement adds up line by line.
Rates are `Decimal` percentages ("8.50" for 8.5 %).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from pdao.core.calendar import add_months, add_years

FEN = Decimal("0.01")
HUNDRED = Decimal(100)
# What a person may type as an amount: digits with optional thousands separators (half- or
# full-width commas) and at most two decimals.
TYPED = re.compile(r"^\d{1,3}(?:[,，]\d{3})*(?:\.\d{1,2})?$|^\d+(?:\.\d{1,2})?$", re.ASCII)
LARGEST_FEN = 10**17  # 10¹⁵ yuan: far above any programme, far below a BIGINT


class MoneyError(ValueError):
    """An amount or rate that cannot be taken; `code` says why (the caller words it)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def fen(value: Decimal | int | str) -> int:
    """An amount in yuan as whole fen, rounded half up (四舍五入). Floats are refused: they
    carry artefacts (0.1 + 0.2) that would be rounded into the books.

    >>> fen("12.345"), fen(3), fen(Decimal("0.005")), fen("-1.005")
    (1235, 300, 1, -101)
    >>> problem(fen, "9" * 40)
    'too_large'
    """
    if isinstance(value, float | bool):
        raise MoneyError("float")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError("not_a_number") from None
    if not amount.is_finite():
        raise MoneyError("not_a_number")
    # Checked before rounding: a number past the decimal context's 28 digits cannot be rounded.
    if abs(amount) >= Decimal(LARGEST_FEN) * FEN:
        raise MoneyError("too_large")
    return int((amount / FEN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def problem(function, *args) -> str | None:
    """The code of the MoneyError `function(*args)` raises, or None."""
    try:
        function(*args)
    except MoneyError as error:
        return error.code
    return None


def yuan(amount_fen: int) -> Decimal:
    """Whole fen as yuan, exactly.

    >>> yuan(123456), yuan(-5)
    (Decimal('1234.56'), Decimal('-0.05'))
    """
    return (Decimal(amount_fen) * FEN).quantize(FEN)


def unit_text(value) -> str:
    """A unit price in yuan as a plan states it: thousands separators, at least two decimals,
    no padding beyond what it has.

    >>> unit_text(Decimal("0.4500")), unit_text(Decimal("0.0049")), unit_text(1200)
    ('0.45', '0.0049', '1,200.00')
    """
    text = f"{Decimal(str(value)).normalize():f}"
    whole, _dot, fraction = text.partition(".")
    return f"{int(whole):,}.{fraction.ljust(2, '0')}"


def parse(text: str) -> int:
    """An amount a person typed, in fen: digits, thousands separators, at most two decimals,
    never negative.

    >>> parse("1,234.5"), parse("1，000"), parse("0.05")
    (123450, 100000, 5)
    >>> [problem(parse, t) for t in ("-3", "1.005", "1,23", "一百", "")]
    ['negative', 'too_precise', 'not_a_number', 'not_a_number', 'not_a_number']
    >>> problem(parse, "１２"), problem(parse, "9" * 40)  # full-width digits; past any budget
    ('not_a_number', 'too_large')
    """
    text = str(text).strip().replace(" ", "")
    if text.startswith("-"):
        raise MoneyError("negative")
    if re.fullmatch(r"\d+\.\d{3,}", text.replace(",", "").replace("，", ""), re.ASCII):
        raise MoneyError("too_precise")
    if not TYPED.match(text):
        raise MoneyError("not_a_number")
    return fen(text.replace(",", "").replace("，", ""))


def line(quantity: Decimal | int, unit_price: Decimal) -> int:
    """One revenue line: quantity × unit price (yuan, up to four decimals), rounded half up to
    the fen at the line.

    >>> line(3, Decimal("0.0050")), line(1, Decimal("0.0049")), line(1000, Decimal("0.0049"))
    (2, 0, 490)
    """
    if isinstance(quantity, float) or isinstance(unit_price, float):
        raise MoneyError("float")
    return fen(Decimal(quantity) * unit_price)


def share(amount_fen: int, percent: Decimal) -> int:
    """`percent` % of an amount, rounded half up to the fen.

    >>> share(10_001, Decimal("10")), share(4, Decimal("10")), share(5, Decimal("10"))
    (1000, 0, 1)
    """
    return fen(Decimal(amount_fen) * percent / HUNDRED * FEN)


def profit_rate_limit(bond_yield: Decimal, markup: Decimal) -> Decimal:
    """The highest allowed profit rate (准许利润率), in percent: the average yield of 10-year
    government bonds in the year before the cost survey plus the markup (6 percentage points
    in the national notice).

    >>> profit_rate_limit(Decimal("2.18"), Decimal("6"))
    Decimal('8.18')
    """
    return bond_yield + markup


@dataclasses.dataclass(frozen=True)
class Allowance:
    """One year's maximum allowed revenue: MAR = 经营成本 + 准许利润 + 税金, less what the
    revenue above an earlier year's MAR carries into this one. All in fen."""

    cost: int
    profit_rate: Decimal
    profit: int
    tax: int
    deduction: int
    total: int


def allowance(cost: int, profit_rate: Decimal, tax: int, deduction: int = 0) -> Allowance:
    """The year's MAR from its operating cost (fen), profit rate (percent), taxes (fen) and the
    carry-over deducted from it (fen); the profit is rounded at its line.

    >>> a = allowance(1_000_000_00, Decimal("8.18"), 5_000_00)
    >>> a.profit, a.total
    (8180000, 108680000)
    >>> allowance(1_000_000_00, Decimal("8.18"), 5_000_00, deduction=680000_00).total
    40680000
    """
    if min(cost, tax, deduction) < 0:
        raise MoneyError("negative")
    if profit_rate < 0:
        raise MoneyError("negative")
    profit = share(cost, profit_rate)
    return Allowance(cost, profit_rate, profit, tax, deduction, cost + profit + tax - deduction)


class Adjustment(StrEnum):
    """What a year's deviation from its MAR asks for (the notice's 10 % rule)."""

    NONE = "none"  # revenue equals the MAR
    OPERATOR_PRICES = "operator_prices"  # within the threshold: the operator adjusts its prices
    BUREAU_CAPS = "bureau_caps"  # beyond it: the bureau adjusts its caps


def deviation(actual: int, allowed: int) -> Decimal:
    """|actual − MAR| / MAR, exactly (a fraction, not a percentage).

    >>> deviation(110_00, 100_00), deviation(88_00, 100_00)
    (Decimal('0.1'), Decimal('0.12'))
    """
    if allowed <= 0:
        raise MoneyError("no_allowance")
    return Decimal(abs(actual - allowed)) / Decimal(allowed)


def adjustment(actual: int, allowed: int, threshold_percent: Decimal) -> Adjustment:
    """Exactly at the threshold is within it.

    >>> adjustment(110_00, 100_00, Decimal("10")), adjustment(11001, 10000, Decimal("10"))
    (<Adjustment.OPERATOR_PRICES: 'operator_prices'>, <Adjustment.BUREAU_CAPS: 'bureau_caps'>)
    """
    found = deviation(actual, allowed)
    if found == 0:
        return Adjustment.NONE
    if found * HUNDRED <= threshold_percent:
        return Adjustment.OPERATOR_PRICES
    return Adjustment.BUREAU_CAPS


def carry_over(actual: int, allowed: int, years: int = 1) -> list[int]:
    """Revenue above the MAR, deducted from the next `years` years' MAR in equal parts; the
    fen that do not divide go to the earliest years, so the parts add up to the excess.

    >>> carry_over(100_01, 100_00, 3), carry_over(90_00, 100_00), carry_over(110_00, 100_00, 2)
    ([1, 0, 0], [0], [500, 500])
    """
    if years < 1:
        raise MoneyError("no_years")
    excess = max(0, actual - allowed)
    part, left = divmod(excess, years)
    return [part + (1 if i < left else 0) for i in range(years)]


@dataclasses.dataclass(frozen=True)
class Priced:
    """The calls of one month at one unit price: how many, the quantity charged (calls, or
    thousands of rows by volume) and the amount, rounded once for the line."""

    unit_price: Decimal
    calls: int
    quantity: Decimal
    amount: int


def price_month(charging: str, unit_price: Decimal, tiers: list, rows: list[int]) -> list[Priced]:
    """The revenue lines of one subscription's charged calls in one month, `rows` holding each
    call's row count in the order they were made. The n-th call of the month is priced at the
    highest tier it reached (tiers are [[from_call, unit_price], …]); per call, the quantity is
    the calls; by volume, the thousands of rows (元/千行). Free and monthly plans charge no call.

    >>> [(p.unit_price, p.calls, p.quantity, p.amount)
    ...  for p in price_month("per_call", Decimal("0.30"), [[3, "0.25"]], [5, 5, 5, 5])]
    [(Decimal('0.30'), 2, Decimal('2'), 60), (Decimal('0.25'), 2, Decimal('2'), 50)]
    >>> price_month("volume", Decimal("0.40"), [], [1500, 37])[0].amount  # 1.537 × ¥0.40
    61
    """
    if charging not in ("per_call", "volume") or not rows:
        return []
    steps = sorted((int(start), Decimal(str(price))) for start, price in tiers or [])
    calls: dict[Decimal, list[int]] = {}
    for number, count in enumerate(rows, start=1):
        unit = Decimal(unit_price)
        for start, price in steps:
            if number >= start:
                unit = price
        calls.setdefault(unit, []).append(count)
    lines = []
    for unit, counts in calls.items():
        quantity = Decimal(len(counts)) if charging == "per_call" else Decimal(sum(counts)) / 1000
        lines.append(Priced(unit, len(counts), quantity, line(quantity, unit)))
    return lines


def monthly_fees_due(starts_on: date, ends_on: date, month: str) -> int:
    """How many monthly fees of a subscription fall in `month` (YYYY-MM): one on its first day
    and one on each monthly anniversary within its term.

    >>> monthly_fees_due(date(2026, 1, 31), date(2026, 4, 29), "2026-02")  # 28 Feb
    1
    >>> monthly_fees_due(date(2026, 1, 15), date(2026, 2, 14), "2026-02")  # ends before
    0
    """
    count, n = 0, 0
    while True:
        due = add_months(starts_on, n)
        if due > ends_on:
            return count
        count += due.strftime("%Y-%m") == month
        n += 1


# Pricing periods (定价周期): at most three years each, never overlapping for one operator.
LONGEST_YEARS = 3


def period_problem(
    starts_on: date, ends_on: date, others: list[tuple[date, date]], longest: int = LONGEST_YEARS
) -> str | None:
    """Why a pricing period cannot be, or None: it ends before it starts, lasts more than
    `longest` years, or overlaps one of `others` (each inclusive at both ends).

    >>> period_problem(date(2024, 1, 1), date(2026, 12, 31), [])
    >>> period_problem(date(2024, 1, 1), date(2027, 1, 1), [])
    'too_long'
    >>> period_problem(date(2027, 1, 1), date(2027, 6, 30), [(date(2024, 1, 1), date(2027, 1, 1))])
    'overlaps'
    """
    if ends_on < starts_on:
        return "ends_before_start"
    if ends_on >= add_years(starts_on, longest):
        return "too_long"
    if any(starts_on <= other_end and other_start <= ends_on for other_start, other_end in others):
        return "overlaps"
    return None


def period_years(starts_on: date, ends_on: date) -> list[tuple[date, date]]:
    """The operating years (运营年度) of a period, each from an anniversary of its start to the
    day before the next; the last ends with the period and may be shorter.

    >>> for start, end in period_years(date(2024, 2, 29), date(2025, 6, 30)):
    ...     print(start, end)
    2024-02-29 2025-02-27
    2025-02-28 2025-06-30
    """
    years, start, n = [], starts_on, 0
    while start <= ends_on:
        n += 1
        following = add_years(starts_on, n)
        years.append((start, min(ends_on, following - timedelta(days=1))))
        start = following
    return years


def quarter(year: int, number: int) -> tuple[date, date, list[str]]:
    """A quarter's first and last days and its months (YYYY-MM): remittances are computed per
    quarter.

    >>> first, last, months = quarter(2024, 1)
    >>> first, last, months
    (datetime.date(2024, 1, 1), datetime.date(2024, 3, 31), ['2024-01', '2024-02', '2024-03'])
    """
    if not 1 <= number <= 4:
        raise ValueError("a quarter is 1 to 4")
    first = date(year, 3 * number - 2, 1)
    months = [add_months(first, k).strftime("%Y-%m") for k in range(3)]
    return first, add_months(first, 3) - timedelta(days=1), months
