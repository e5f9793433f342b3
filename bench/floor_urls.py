"""The platform's URLs plus /bench/floor: a bare Django view answering the same JSON a product
call answers (read once from the file the benchmark wrote), with no authentication, metering
or watermark. Served by the same gunicorn process as the gateway, so the two compare fairly."""

import functools
import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from pdao.urls import *  # noqa: F403
from pdao.urls import urlpatterns as platform_urls


@functools.cache
def _body() -> bytes:
    return Path(os.environ["PDAO_DATA_DIR"], "floor.json").read_bytes()


@csrf_exempt
def floor(request):
    return HttpResponse(_body(), content_type="application/json")


urlpatterns = [*platform_urls, path("bench/floor", floor)]
