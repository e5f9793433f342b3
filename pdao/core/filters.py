"""Small helpers for list filters taken from the query string."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


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
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        start = datetime(year, month, 1, tzinfo=timezone.get_current_timezone())
    except ValueError:
        return None
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=start.tzinfo)
    return start, end
