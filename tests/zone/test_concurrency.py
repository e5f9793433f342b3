"""Nothing holds the database while a zone query runs: on SQLite, the embedded default, one
operator's slow query must not stop anyone else's sign-in, and a process killed mid-query must
leave a record that says so (concurrent_sqlite.py, run on a SQLite file)."""

from pathlib import Path

from tests.sqlite_file import run_on_a_sqlite_file


def test_slow_queries_and_killed_processes_on_a_sqlite_file(tmp_path, django_db_setup):
    run_on_a_sqlite_file(Path(__file__).parent / "concurrent_sqlite.py", tmp_path, passed=3)
