"""pdao's settings with the benchmark's URL configuration (the product gateway plus a bare
view, the floor, served by the same server)."""

from pdao.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
