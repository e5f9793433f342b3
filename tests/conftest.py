import pytest
from django.test import Client

from pdao.core.permissions import Role
from tests import sqlite_file
from tests.factories import user_with_role

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """pytest-django's test databases; on SQLite, a copy of the freshly migrated one is kept
    for the tests that run a pytest of their own on a file (tests/sqlite_file.py)."""
    from django.db import connection

    with django_db_blocker.unblock():
        sqlite_file.keep_migrated(connection, tmp_path_factory.mktemp("migrated"))
    yield


@pytest.fixture
def client_for():
    """client_for(user) -> a test Client signed in as `user`."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user, backend=AUTH_BACKEND)
        return client

    return make


@pytest.fixture
def bureau_admin(db):
    return user_with_role(Role.BUREAU_ADMIN)


@pytest.fixture
def supervisor(db):
    return user_with_role(Role.SUPERVISOR)


@pytest.fixture(autouse=True)
def _ledger_mirror_per_test(settings, tmp_path):
    """The ledger's external anchor is a file outside the database, so it would outlive each
    test's rollback: every test gets its own."""
    settings.LEDGER_MIRROR_PATH = tmp_path / "anchor" / "checkpoints.jsonl"


@pytest.fixture(autouse=True)
def _platform_language():
    """The language middleware activates the reader's language for the thread and a test
    client's request leaves it there: each test starts in the platform's default, as a
    worker's task or a management command does."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache, which outlives each test's database rollback."""
    from django.core.cache import cache

    from pdao.authorization import access

    cache.clear()
    access._scope.cache_clear()  # keyed by (id, revision), which a rolled-back test may reuse


def run_worker() -> None:
    """Run every task that is due, as `manage.py db_worker` does, then return. The worker
    closes connections between tasks (close_old_connections), which ends a test's wrapping
    transaction on PostgreSQL: tests that call this use django_db(transaction=True)."""
    from django.core.management import call_command

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
