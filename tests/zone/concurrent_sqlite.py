"""Run by test_concurrency.py on a SQLite file (not collected on its own: see there)."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.zone import engine, policy, services
from pdao.zone.models import ZoneQuery
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
SQL = "SELECT 区县, COUNT(DISTINCT 身份证号) FROM 社保缴纳记录 GROUP BY 区县"


def test_the_database_is_a_wal_file():
    assert connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_slow_query_does_not_hold_up_a_sign_in(city, live, monkeypatch):
    """The engine runs outside any transaction: while one operator's query is running (held
    here until the sign-in is done), another user signs in — a write to the sessions, the
    users and the audit log. If the query held the database, the sign-in would wait for it
    and fail with "database is locked"."""
    started, go = threading.Event(), threading.Event()
    real = engine.execute

    def slow(planned, built):
        started.set()
        assert go.wait(120), "the sign-in never finished"
        return real(planned, built)

    monkeypatch.setattr(engine, "execute", slow)
    outcome = {}

    def query():
        try:
            outcome["query"] = services.run_query(live, by=city.operator, sql=SQL, form="aggregate")
        finally:
            connections.close_all()

    worker = threading.Thread(target=query)
    worker.start()
    assert started.wait(60)
    user = city.reviewers[0]
    user.set_password(PASSWORD)
    user.save()
    began = time.monotonic()
    response = Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    signed_in = time.monotonic() - began
    go.set()
    worker.join(120)
    assert response.status_code == 302, response.content[:500]
    assert not worker.is_alive() and outcome["query"].decision == "released"
    assert AuditEvent.objects.filter(action="auth.login", actor_username=user.username).exists()
    print(f"sign-in took {signed_in:.3f} s while the query ran")


CHILD = """
import os, sys, time
import django
django.setup()
from django.conf import settings
from pathlib import Path
settings.DATA_DIR = Path(sys.argv[1])
from pdao.authorization.models import Authorization
from pdao.core.identity import CLI
from pdao.zone import engine, services

def never_returns(planned, built):
    print("running", flush=True)
    time.sleep(3600)

engine.execute = never_returns
services.run_query(Authorization.objects.get(code=sys.argv[2]), by=CLI, form="dp",
                   epsilon=0.5, sql="SELECT COUNT(DISTINCT 身份证号) FROM 社保缴纳记录")
"""


def test_a_process_killed_mid_query_leaves_an_interrupted_record(city, live):
    live.epsilon_total = 2.0
    live.save(update_fields=["epsilon_total"])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
    }
    env.pop("PDAO_TEST_SQLITE_FILE", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(django_settings.DATA_DIR), live.code],
        env=env, cwd=Path(__file__).parents[2], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "running"
        query = ZoneQuery.objects.get(authorization=live)
        assert (query.decision, query.epsilon_spent) == ("running", 0.5)  # on record, charged
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    later = timezone.now() + timedelta(seconds=django_settings.ZONE_QUERY_SECONDS + 61)
    assert services.mark_interrupted(now=later) == 1
    query.refresh_from_db()
    assert (query.decision, query.rule) == ("interrupted", "limits.interrupted")
    assert AuditEvent.objects.filter(
        action="zone.query.interrupted", object_id=str(query.pk)
    ).exists()
    assert policy.epsilon_left(live) == pytest.approx(1.5)  # the ε stays spent
