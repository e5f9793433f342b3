"""The market's calendar work on the scheduler's heartbeat (`minute_passed`): at most once an
hour, delist products whose registration lapsed (`listings.lapse`, each once)."""

from django.core.cache import cache

from pdao.market import listings

EVERY_SECONDS = 3600


def on_minute(sender, **kwargs) -> None:
    if cache.add("pdao:market:calendar", 1, EVERY_SECONDS):
        listings.lapse()
