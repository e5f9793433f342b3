"""The showcase's calendar work on the scheduler's heartbeat (`minute_passed`): at most once an
hour, recompute this month's figures and last month's (pdao.showcase.kpis.recompute)."""

from django.core.cache import cache

from pdao.showcase import kpis

EVERY_SECONDS = 3600


def on_minute(sender, **kwargs) -> None:
    if cache.add("pdao:showcase:kpis", 1, EVERY_SECONDS):
        kpis.recompute()
