"""Small helpers for list filters taken from the query string: a malformed value is ignored
(the unfiltered list), never an error."""

import re
from datetime import date, datetime, time, timedelta

from django.utils import timezone


def whole_number(text: str | None, *, low: int = 1, high: int = 2**31 - 1) -> int | None:
    """An ASCII whole number within [low, high] (database ids fit), else None. `str.isdigit`
    is not enough: it accepts "²", which `int` refuses."""
    if not re.fullmatch(r"[0-9]{1,12}", text or ""):
        return None
    value = int(text)
    return value if low <= value <= high else None


def day_bounds(text: str | None) -> tuple[datetime, datetime] | None:
    """The local day `YYYY-MM-DD` names, as [start, end) aware datetimes; None if malformed."""
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return None
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def month_bounds(text: str | None) -> tuple[datetime, datetime] | None:
    """The local month `YYYY-MM` names, as [start, end) aware datetimes; None if malformed."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", text or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    try:
        start = datetime(year, month, 1, tzinfo=timezone.get_current_timezone())
    except ValueError:
        return None
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=start.tzinfo)
    return start, end
