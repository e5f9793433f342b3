"""Nothing holds the database while a zone query runs: on SQLite, the embedded default, one
operator's slow query must not stop anyone else's sign-in, and a process killed mid-query must
leave a record that says so. These need a database file shared between threads and processes,
so they run in a pytest of their own on a SQLite file in WAL mode (concurrent_sqlite.py)."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_slow_queries_and_killed_processes_on_a_sqlite_file(tmp_path):
    env = {
        **os.environ,
        "PDAO_TEST_SQLITE_FILE": str(tmp_path / "test.sqlite3"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",  # SQLite even in the PG run
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(HERE / "concurrent_sqlite.py")],
        env=env, cwd=HERE.parent.parent, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "3 passed" in run.stdout
