"""Tests of what happens between threads and processes on SQLite (the embedded default) need a
database file shared by them, in WAL mode as the platform runs it, instead of the in-memory
test database: such a module runs in a pytest of its own on a file (tests/settings.py reads
PDAO_TEST_SQLITE_FILE), even in the PostgreSQL run.

Migrating a new database takes about ten seconds, so on SQLite the suite keeps a copy of its
own test database as it stood just after migrating (`keep_migrated`, from tests/conftest.py)
and such a pytest starts from a copy of that file (`--reuse-db`: Django checks the migrations
and finds nothing to apply). On PostgreSQL there is no such copy, and it migrates its own."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
MIGRATED: Path | None = None  # the suite's freshly migrated SQLite database, copied


def keep_migrated(connection, directory: Path) -> None:
    """Copy the just-migrated SQLite test database (in memory) to a file in `directory`. A run
    whose tests need no database has set none up: then there is nothing to copy."""
    global MIGRATED
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return
    connection.ensure_connection()
    copy = sqlite3.connect(directory / "migrated.sqlite3")
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    MIGRATED = directory / "migrated.sqlite3"


def run_on_a_sqlite_file(module: Path, tmp_path: Path, *, passed: int) -> None:
    database = tmp_path / "test.sqlite3"
    reuse = []
    if MIGRATED is not None:
        shutil.copyfile(MIGRATED, database)
        reuse = ["--reuse-db"]
    env = {
        **os.environ,
        "PDAO_TEST_SQLITE_FILE": str(database),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *reuse, str(module)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert f"{passed} passed" in run.stdout, run.stdout[-2000:]
