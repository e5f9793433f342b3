"""Data built once for a module or package of tests, with each test in a savepoint of it.

A fixture that builds a whole world (the demo city, the permission walk's example objects)
for every test spends most of the suite's time rebuilding the same rows. `built_once` opens a
transaction for the fixture's scope and rolls it back when the scope ends; each test that
asks for `db` runs in a savepoint inside it (Django's TestCase nests), so what one test writes
is gone before the next, and nothing outside the scope sees the shared rows — as Django's
`setUpTestData` does for a class. `for_one_test(...)` gives each test its own copy of the
objects (deep copies, as `setUpTestData`'s TestData does), so in-memory changes do not carry
over.

Files are not rolled back: a shared world keeps its files in a directory of its scope.
A test in such a scope cannot commit (transactional_db, live_server): `for_one_test` fails
it instead of letting it flush or commit the shared rows.
"""

import copy
from contextlib import contextmanager

import pytest
from django.db import transaction

COMMITTING = {"transactional_db", "live_server", "django_db_reset_sequences"}


@contextmanager
def built_once(django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def for_one_test(request, built):
    """The shared objects for the test asking, checked to run in a savepoint of them."""
    committing = COMMITTING & set(request.fixturenames)
    if committing:
        pytest.fail(f"{request.node.nodeid} shares rolled-back data but asks for {committing}")
    return copy.deepcopy(built)
