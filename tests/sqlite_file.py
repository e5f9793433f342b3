"""Tests of what happens between threads and processes on SQLite (the embedded default) need a
database file shared by them, in WAL mode as the platform runs it, instead of the in-memory
test database: such a module runs in a pytest of its own on a file (tests/settings.py reads
PDAO_TEST_SQLITE_FILE), even in the PostgreSQL run."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def run_on_a_sqlite_file(module: Path, tmp_path: Path, *, passed: int) -> None:
    env = {
        **os.environ,
        "PDAO_TEST_SQLITE_FILE": str(tmp_path / "test.sqlite3"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert f"{passed} passed" in run.stdout, run.stdout[-2000:]
