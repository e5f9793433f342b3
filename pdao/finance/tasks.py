"""The finance pillar's calendar work, done on the scheduler's heartbeat (the every-minute
monitoring task sends `pdao.core.monitoring.minute_passed`): at most once an hour, compute last
month's revenue lines if they are not computed yet, and chase overdue remittances (each at most
once a week, `remittances.chase_overdue`)."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from pdao.core.identity import SCHEDULER
from pdao.finance import remittances, revenue
from pdao.finance.models import RevenueMonth

EVERY_SECONDS = 3600


def last_month(today) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def due_work(*, today=None) -> dict:
    """Do what the calendar asks for now; returns what was done."""
    today = today or timezone.localdate()
    month = last_month(today)
    done = {"computed": None, "chased": 0}
    if not RevenueMonth.objects.filter(month=month).exists():
        revenue.compute_month(month, by=SCHEDULER)
        done["computed"] = month
    done["chased"] = len(remittances.chase_overdue(by=SCHEDULER, today=today))
    return done


def on_minute(sender, **kwargs) -> None:
    if cache.add("pdao:finance:calendar", 1, EVERY_SECONDS):
        due_work()
