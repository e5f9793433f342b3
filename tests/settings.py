"""Test settings: the real settings module, with the environment a test run needs.

Values are set explicitly (not from a developer's .env) so a test run is the same everywhere;
DATABASE_URL alone may come from outside, to run the suite on PostgreSQL.
"""

import os
import tempfile

os.environ["PDAO_SECRET_KEY"] = "test-only-" + "k" * 50
os.environ["PDAO_DEBUG"] = "false"
os.environ["PDAO_DEMO"] = "false"
os.environ["PDAO_HTTPS"] = "false"
os.environ["PDAO_DEMO_PASSWORD"] = ""
os.environ["PDAO_DATA_DIR"] = tempfile.mkdtemp(prefix="pdao-test-data-")
for name in [k for k in os.environ if k.startswith("PDAO_OIDC_")]:
    del os.environ[name]

from pdao.settings import *  # noqa: E402, F403
from pdao.settings import DATABASES, STORAGES  # noqa: E402

# Tests of what happens between processes on SQLite (tests/zone/test_concurrency.py) run on a
# file in WAL mode, as the platform does, instead of the in-memory test database.
if os.environ.get("PDAO_TEST_SQLITE_FILE"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["PDAO_TEST_SQLITE_FILE"]}

# No collectstatic in tests: serve assets from the source tree.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Fast hashing for the hundreds of users tests create; tests/accounts/test_login.py checks the
# real settings hash with Argon2 and signs in through it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic either: WhiteNoise serves from the finders and an empty root of its own.
STATIC_ROOT = tempfile.mkdtemp(prefix="pdao-test-static-")
WHITENOISE_USE_FINDERS = True
