"""A hostile or large file holds nothing while it is parsed: on SQLite, the embedded default,
sign-ins and gateway calls go on meanwhile, and a worker killed with kill -9 mid-ingest leaves
a failed, retryable job (hostile_sqlite.py, run on a SQLite file)."""

from pathlib import Path

from tests.sqlite_file import run_on_a_sqlite_file


def test_parses_hold_nothing_and_killed_workers_leave_retryable_jobs(tmp_path, django_db_setup):
    run_on_a_sqlite_file(Path(__file__).parent / "hostile_sqlite.py", tmp_path, passed=4)
