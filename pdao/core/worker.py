"""Is the task worker alive? Uploads, the every-minute monitoring and ledger sequencing wait on
it, and a worker that died says nothing by itself (issue 15: uploads sat at 排队中 for ever).

The worker is judged by the work it leaves: the monitoring task is always queued a minute
ahead (`supervision.services.ensure_scheduled`, called here too so a broken chain is queued
again), so a live worker starts a task at least every minute or so. The worker is **offline**
when a task has been due for longer than `WORKER_OFFLINE_SECONDS` and none has started
meanwhile, nor is one running (a long task holds the worker without it being dead). Read
through the cache for a few seconds, so pages may ask on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from pdao.core import monitoring

CACHE_KEY = "pdao:worker:status"
CACHE_SECONDS = 10
# A task that runs longer than this is no longer taken as proof that the worker lives.
RUNNING_AT_MOST = timedelta(minutes=10)


@dataclass(frozen=True)
class WorkerStatus:
    offline: bool
    last_seen: datetime | None  # when the worker last started a task
    waiting: int  # tasks due and not started

    @property
    def state(self) -> str:
        return "offline" if self.offline else "online"


def uses_worker() -> bool:
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def status(*, now: datetime | None = None, fresh: bool = False) -> WorkerStatus | None:
    """The worker's status, or None when tasks run without one (another tasks backend)."""
    if not uses_worker():
        return None
    if not fresh and now is None:
        cached = cache.get(CACHE_KEY)
        if cached is not None:
            return cached
    # Imported here: core modules load before the app registry, and these are models.
    from django_tasks_db.models import DBTaskResult, get_date_max

    monitoring.watch()  # the monitoring task is kept queued: its absence is the signal
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.WORKER_OFFLINE_SECONDS)
    tasks = DBTaskResult.objects.all()
    # A task queued to run at once carries the package's far-future sentinel as run_after
    # (an upload, ledger sequencing): due since it was queued.
    due = tasks.filter(status="READY").filter(
        Q(run_after__gte=get_date_max(), enqueued_at__lt=limit) | Q(run_after__lt=limit)
    )
    waiting = due.count()
    last_seen = (
        tasks.filter(started_at__isnull=False)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    running = tasks.filter(status="RUNNING", started_at__gte=now - RUNNING_AT_MOST).exists()
    offline = bool(waiting) and not running and (last_seen is None or last_seen < limit)
    found = WorkerStatus(offline, last_seen, waiting)
    if not fresh:
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found
