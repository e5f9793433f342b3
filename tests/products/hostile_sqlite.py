"""Run by test_hostile_concurrency.py on a SQLite file (not collected on its own: see there)."""

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.catalogue import excel
from pdao.catalogue import services as catalogue
from pdao.catalogue.models import IngestJob
from pdao.core import files, sandbox
from pdao.products import services as products
from tests import hostile
from tests.conftest import run_worker
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_database_is_a_wal_file():
    assert connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _stage(path: Path, resource, user) -> IngestJob:
    """An ingest job as the upload page leaves it: the file staged, the job queued."""
    catalogue.incoming_dir().mkdir(parents=True, exist_ok=True)
    staged = catalogue.incoming_dir() / f"{path.stem}.csv"
    staged.write_bytes(path.read_bytes())
    return IngestJob.objects.create(
        resource=resource, requested_by=user, mode="replace", declared_format="csv",
        filename=path.name, staged=staged.name, bytes=staged.stat().st_size, stage="queued",
    )  # fmt: skip


@pytest.mark.parametrize("door", ["catalogue import", "version ingest"])
def test_while_a_file_is_parsed_sign_ins_and_gateway_calls_go_on(
    door, market, monkeypatch, tmp_path
):
    """The parse is held mid-way (in the sandbox) while a user signs in and a consumer calls
    the gateway — writes to sessions, the audit log and the delivery records. If the parse
    held the database (the catalogue import's old transaction), they would fail with
    "database is locked"."""
    product = market.to_market(market.product(), rate_per_minute=1000)
    market.subscribe(product)
    credential, secret = products.create_credential(by=market.consumer, name="生产")
    started, go = threading.Event(), threading.Event()
    # Held where reading the file begins: the catalogue's inspection, the ingest's child.
    module, name = (files, "inspect") if door == "catalogue import" else (sandbox, "run")
    real = getattr(module, name)

    def held(*args, **kwargs):
        started.set()
        assert go.wait(120), "the sign-in and the call never finished"
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    provider = market.city.provider
    outcome = {}
    if door == "catalogue import":
        path = tmp_path / "catalogue.xlsx"
        path.write_bytes(hostile.declared_everything(excel.template()))

        def parse():
            try:
                catalogue.import_catalogue(path, by=provider)
            except excel.WorkbookProblems as error:
                outcome["refusal"] = str(error.problems[0])
            finally:
                connections.close_all()
    else:
        path = tmp_path / "dimension.xlsx"
        path.write_bytes(hostile.declared_everything(hostile.workbook()))
        job = _stage(path, market.city.social, provider)
        IngestJob.objects.filter(pk=job.pk).update(declared_format="xlsx")

        def parse():
            try:
                done = catalogue.run_ingest_job(job.pk)
                outcome["refusal"] = done.problems[0]["message"]
            finally:
                connections.close_all()

    worker = threading.Thread(target=parse)
    worker.start()
    assert started.wait(60)
    user = market.city.reviewers[0]
    user.set_password(PASSWORD)
    user.save()
    signed_in = Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    basic = base64.b64encode(f"{credential.application.client_id}:{secret}".encode()).decode()
    token = Client().post(
        "/gateway/oauth/token",
        {"grant_type": "client_credentials", "scope": "products"},
        headers={"Authorization": f"Basic {basic}"},
    )
    called = Client().post(
        f"/gateway/v1/products/{product.code}",
        json.dumps({"params": {"since": "2024-02-01"}}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token.json().get('access_token', '')}"},
    )
    go.set()
    worker.join(120)
    assert signed_in.status_code == 302, signed_in.content[:300]
    assert token.status_code == 200 and called.status_code == 200, called.content[:300]
    assert AuditEvent.objects.filter(action="auth.login", actor_username=user.username).exists()
    assert not worker.is_alive() and "上限" in outcome["refusal"]


CHILD = """
import sys
import django
django.setup()
from django.conf import settings
from pathlib import Path
settings.DATA_DIR = Path(sys.argv[1])
settings.INGEST_HEARTBEAT_SECONDS = 1
from pdao.catalogue import services
print("running", flush=True)
services.run_ingest_job(int(sys.argv[2]))
print("finished", flush=True)
"""


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split()
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _gone(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "State:\tZ" in status.read_text()
    except FileNotFoundError:
        return True


def test_a_worker_killed_mid_ingest_leaves_a_failed_retryable_job(market, tmp_path):
    """kill -9 of the worker mid-parse: the parse child dies with it, the janitor marks the job
    interrupted with its file kept, and a retry makes the version."""
    path = tmp_path / "large.csv"
    duckdb.connect().execute(f"""
        COPY (SELECT '450202' || lpad((p * 7919 % 99999999)::VARCHAR, 12, '0') AS 身份证号,
                     DATE '2024-01-01' AS 参保月份, (3000 + p % 9000)::DOUBLE AS 缴费金额,
                     '城中区' AS 区县
              FROM range(4000000) a(p)) TO '{path}' (HEADER)""")
    social = market.city.social
    before = social.active_version
    job = _stage(path, social, market.city.provider)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
    }
    env.pop("PDAO_TEST_SQLITE_FILE", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(django_settings.DATA_DIR), str(job.pk)],
        env=env, cwd=Path(__file__).parents[2], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    parse = set()
    try:
        assert child.stdout.readline().strip() == "running"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status == "running" and job.stage not in ("", "queued"):
                parse = _descendants(child.pid)
                if parse:
                    break
            time.sleep(0.2)
        assert job.status == "running" and parse, (job.status, job.stage)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    deadline = time.monotonic() + 30
    while not all(_gone(pid) for pid in parse) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(_gone(pid) for pid in parse), "the parse outlived its worker"

    assert catalogue.mark_stale_jobs(now=timezone.now()) == 0  # its heartbeat is recent
    later = timezone.now() + timedelta(seconds=django_settings.INGEST_STALE_SECONDS + 1)
    assert catalogue.mark_stale_jobs(now=later) == 1
    job.refresh_from_db()
    assert (job.status, job.retryable) == ("interrupted", True)
    assert "可重试" in job.problems[0]["message"]
    assert (catalogue.incoming_dir() / job.staged).exists()
    assert AuditEvent.objects.filter(action="dataset.ingest_interrupted").exists()
    social.refresh_from_db()
    assert social.active_version == before

    again = catalogue.retry_ingest(job, by=market.city.provider)
    run_worker()
    again.refresh_from_db()
    job.refresh_from_db()
    assert again.status == "succeeded" and again.version.rows == 4_000_000
    assert not job.retryable and again.retry_of_id == job.pk
    assert not (catalogue.incoming_dir() / job.staged).exists()
