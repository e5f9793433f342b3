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


# Dates a filter takes: beyond them there is nothing to find, and the edges of the calendar
# overflow when a day becomes a span of time in another time zone.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def plausible(day: date | datetime) -> bool:
    day = day.date() if isinstance(day, datetime) else day
    return EARLIEST <= day <= LATEST


def day_span(day: date) -> tuple[datetime, datetime] | None:
    """The local day `day`, as [start, end) aware datetimes; None outside EARLIEST–LATEST."""
    if not plausible(day):
        return None
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def month_bounds(text: str | None) -> tuple[datetime, datetime] | None:
    """The local month `YYYY-MM` names, as [start, end) aware datetimes; None if malformed
    or outside EARLIEST–LATEST."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", text or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not EARLIEST.year <= year <= LATEST.year:
        return None
    try:
        start = datetime(year, month, 1, tzinfo=timezone.get_current_timezone())
    except ValueError:
        return None
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=start.tzinfo)
    return start, end
