"""A hostile or large file holds nothing while it is parsed: on SQLite, the embedded default,
sign-ins and gateway calls go on meanwhile, and a worker killed with kill -9 mid-ingest leaves
a failed, retryable job. These need a database file shared between threads and processes, so
they run in a pytest of their own on a SQLite file in WAL mode (hostile_sqlite.py)."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_parses_hold_nothing_and_killed_workers_leave_retryable_jobs(tmp_path):
    env = {
        **os.environ,
        "PDAO_TEST_SQLITE_FILE": str(tmp_path / "test.sqlite3"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",  # SQLite even in the PG run
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(HERE / "hostile_sqlite.py")],
        env=env, cwd=HERE.parent.parent, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "4 passed" in run.stdout
