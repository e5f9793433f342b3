"""Rules every pillar's services share: the one exception a broken platform rule raises, the
permission check a verb makes on its acting user, and calendar months for terms."""

from datetime import date

from django.utils.translation import gettext as _


class RuleViolation(Exception):
    """A request that breaks a platform rule; the message is shown to the user as is."""


def require(user, perm: str) -> None:
    """The acting user must hold `perm` (a Perm); nobody (None) holds nothing."""
    if user is None or not user.has_perm(perm):
        raise RuleViolation(_("没有执行此操作的权限。"))


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
