"""A task worker that died says so: the work it leaves due is seen by /healthz and by the
pages of those whose work waits on it, and a worker that runs again clears it."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from pdao.core import worker
from pdao.supervision.tasks import monitor
from tests.authorization.conftest import _data_dir, city  # noqa: F401 (fixtures)
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db
BANNER = "任务进程离线"


def pages(city, client_for):  # noqa: F811
    cache.clear()
    bureau = client_for(city.bureau).get(reverse("core:workbench")).content.decode()
    operator = client_for(city.operator).get(reverse("core:workbench")).content.decode()
    return bureau, operator


def test_a_fresh_platform_is_not_reported_offline(city, client_for):  # noqa: F811
    found = worker.status(fresh=True)  # queues the monitoring a minute ahead
    assert found is not None and not found.offline and found.waiting == 0
    assert BANNER not in pages(city, client_for)[0]


@pytest.mark.django_db(transaction=True)  # the worker closes connections (tests/conftest.py)
def test_work_left_due_says_the_worker_is_offline_until_it_runs_again(city, client_for):  # noqa: F811
    worker.status(fresh=True)
    monitor.using(run_after=timezone.now() - timedelta(minutes=5)).enqueue()
    found = worker.status(fresh=True)
    assert found.offline and found.waiting == 1 and found.state == "offline"

    bureau, operator = pages(city, client_for)
    assert BANNER in bureau and "manage.py db_worker" in bureau
    assert BANNER not in operator  # nothing of theirs waits on the worker
    cache.clear()
    health = client_for(city.operator).get("/healthz").json()
    assert health["status"] == "degraded" and health["worker"] == "offline"

    run_worker()
    found = worker.status(fresh=True)
    assert not found.offline and found.last_seen > timezone.now() - timedelta(minutes=1)
    assert BANNER not in pages(city, client_for)[0]
    cache.clear()
    assert client_for(city.operator).get("/healthz").json() == {
        "status": "ok",
        "worker": "online",
        "demo": False,
    }


def test_an_upload_queued_for_now_and_left_waiting_says_offline_too(city):  # noqa: F811
    """A task queued to run at once carries django_tasks_db's far-future run_after."""
    from django_tasks_db.models import DBTaskResult

    worker.status(fresh=True)
    waiting = monitor.enqueue()
    DBTaskResult.objects.filter(pk=waiting.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=5)
    )
    found = worker.status(fresh=True)
    assert found.offline and found.waiting == 1


def test_a_long_task_running_is_not_a_dead_worker(city):  # noqa: F811
    from django_tasks_db.models import DBTaskResult

    monitor.using(run_after=timezone.now() - timedelta(minutes=5)).enqueue()
    long = monitor.enqueue()
    DBTaskResult.objects.filter(pk=long.id).update(status="RUNNING", started_at=timezone.now())
    assert not worker.status(fresh=True).offline
