"""The demo, seeded once for the tests that read it.

`seed_demo` builds the whole city (catalogue, authorizations, products, calls, a spot check) in
about five seconds; the tests here read what it built, so it is seeded once for this package
(tests/shared.py): each test runs in a savepoint of it, so what a test changes — running the
seed again, simulated traffic — is gone before the next one starts, and nothing outside this
package sees the demo.
"""

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests import shared

PASSWORD = "Demo-Str0ng-pass"
SCALE = 0.001


@dataclasses.dataclass(frozen=True)
class Demo:
    output: str  # what seed_demo printed (credentials are shown once, at seeding)

    def seed_again(self) -> str:
        out = StringIO()
        call_command("seed_demo", password=PASSWORD, scale=SCALE, stdout=out)
        return out.getvalue()


@pytest.fixture(scope="package")
def _seeded(django_db_setup, django_db_blocker):
    with override_settings(DEMO=True), shared.built_once(django_db_blocker):
        out = StringIO()
        call_command("seed_demo", password=PASSWORD, scale=SCALE, stdout=out)
        yield Demo(output=out.getvalue())


@pytest.fixture
def demo(_seeded, db, settings, request) -> Demo:
    """The seeded demo, for one test: its changes roll back to the seed."""
    settings.DEMO = True
    return shared.for_one_test(request, _seeded)
