"""Calendar arithmetic the rules share: whole months and whole years from a day. Pure: the
standard library only (the finance pillar's pure arithmetic uses it)."""

from datetime import date


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, kept within the month (31 Jan + 1 → 28/29 Feb).

    >>> add_months(date(2026, 1, 31), 1), add_months(date(2026, 11, 30), 3)
    (datetime.date(2026, 2, 28), datetime.date(2027, 2, 28))
    """
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year.

    >>> add_years(date(2024, 2, 29), 1), add_years(date(2025, 3, 1), 3)
    (datetime.date(2025, 2, 28), datetime.date(2028, 3, 1))
    """
    return add_months(day, 12 * years)
