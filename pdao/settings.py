"""Settings for pdao: every value comes from the environment, documented in `.env.example`.

A `.env` file beside `manage.py` is read when present (`make demo` writes one with a generated
secret). Required values fail loudly with a hint rather than falling back to something unsafe.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)
# An empty value means "not set" (so `PDAO_HSTS_SECONDS=` takes the default, not a crash).
for _name in [k for k, v in os.environ.items() if v == "" and k.startswith(("PDAO_", "DATABASE_"))]:
    del os.environ[_name]


def _required(name: str, hint: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set. {hint} See .env.example.")
    return value


DEBUG = env.bool("PDAO_DEBUG", default=False)
# Demo mode shows a banner on every page and allows `seed_demo`; never on in production.
DEMO = env.bool("PDAO_DEMO", default=False)
# The password `seed_demo` gives every demo user (make demo generates one into .env).
DEMO_PASSWORD = env.str("PDAO_DEMO_PASSWORD", default="")
# Behind TLS (production): secure cookies, HSTS, redirect to https. Off only for local http.
HTTPS = env.bool("PDAO_HTTPS", default=not DEBUG)

SECRET_KEY = _required(
    "PDAO_SECRET_KEY",
    "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
)
ALLOWED_HOSTS = env.list("PDAO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("PDAO_CSRF_TRUSTED_ORIGINS", default=[])

# Where dataset versions (Parquet) and uploaded documents live. Never served by any URL.
DATA_DIR = Path(env.str("PDAO_DATA_DIR", default=str(BASE_DIR / "var" / "data")))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "captcha",
    "ninja",
    "django_filters",
    "pdao.core",
    "pdao.accounts",
    "pdao.audit",
    "pdao.ledger",
    "pdao.catalogue",
    "pdao.notifications",
    "pdao.authorization",
    "pdao.zone",
    "pdao.products",
    "pdao.supervision",
    "pdao.finance",
    "pdao.market",
    "pdao.showcase",
    "oauth2_provider",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "pdao.core.middleware.NoStoreMiddleware",
    "pdao.core.middleware.RequestContextMiddleware",
    "pdao.core.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "pdao.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Must stay last: it turns a lockout raised during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy on every response (Django's own middleware): scripts, styles, fonts
# and images from the platform's own static files only (HTMX, ECharts and Swagger UI are
# vendored), no inline script or style attribute anywhere — an inline script must carry the
# request's nonce ({{ csp_nonce }}); no framing, no plugins, forms post only to ourselves.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

ROOT_URLCONF = "pdao.urls"
WSGI_APPLICATION = "pdao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pdao" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "pdao.core.context_processors.platform",
                "pdao.notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'pdao.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep connections between requests (a PostgreSQL connection costs milliseconds to open);
# checked before reuse, so a restarted database costs one failed check, not an error.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("PDAO_DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and a worker read while one writes.
    # A writer waits up to 20 s for another's short transaction instead of failing at once
    # with "database is locked" (no transaction holds the database during a zone query).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Without PDAO_CACHE_URL, a file cache under PDAO_DATA_DIR: shared by every server process of one
# host (the demo's gunicorn workers and its task worker), so rate limits count across them.
CACHES = {"default": env.cache_url("PDAO_CACHE_URL", default=f"filecache://{DATA_DIR / 'cache'}")}

# --- Background work -----------------------------------------------------------------------------
# Django's tasks framework on the database (django-tasks-db): no broker to run; `manage.py
# db_worker` executes queued tasks (make demo starts one beside the web server).
TASKS = {
    "default": {
        "BACKEND": env.str("PDAO_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# --- Gateway ------------------------------------------------------------------------------------
# Consumers authenticate with OAuth2 client credentials (django-oauth-toolkit): client secrets
# are stored hashed; access tokens live an hour.
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("PDAO_TOKEN_SECONDS", default=3600),
    "SCOPES": {"products": "调用数据产品 / call data products"},
    "DEFAULT_SCOPES": ["products"],
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "PKCE_REQUIRED": True,
    # The OAuth 2.0 Security BCP (RFC 9700) in full: no implicit or password grant, S256 only,
    # tokens only in the Authorization header, tokens stored as hashes, refresh-replay defence.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
# Delivery digests go to the ledger in batches: every N deliveries or S seconds after the first
# pending one, whichever comes first.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
DELIVERY_BATCH_SIZE = env.int("PDAO_DELIVERY_BATCH_SIZE", default=100)
DELIVERY_BATCH_SECONDS = env.int("PDAO_DELIVERY_BATCH_SECONDS", default=60)

# The platform's public address, for links in e-mails.
SITE_URL = env.str("PDAO_SITE_URL", default="http://127.0.0.1:8000")
# 公示: how many working days an application's public notice runs.
AUTHZ_NOTICE_DAYS = env.int("PDAO_AUTHZ_NOTICE_DAYS", default=7)
# Uploads larger than memory are spooled inside the data directory, not the system's /tmp, so
# raw data never sits outside the zone's storage (the catalogue app creates the directory).
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "incoming" / ".uploads")

# Limits before work (pdao.core.files): what an uploaded file may be, per purpose, checked from
# its bytes before anything parses it. A data version may be a million-row workbook; the
# catalogue workbook is a form; a suspected leak is a delivered extract.
_MiB, _GiB = 1 << 20, 1 << 30
FILE_LIMITS = {
    "version": {
        "bytes": env.int("PDAO_VERSION_MAX_BYTES", default=4 * _GiB),
        "zip_members": 1_000,
        "member_bytes": env.int("PDAO_VERSION_MEMBER_BYTES", default=2 * _GiB),
        "total_bytes": env.int("PDAO_VERSION_EXPANDED_BYTES", default=4 * _GiB),
        "ratio": 250,
        "rows": 1_048_576,  # Excel's own limit
        "columns": env.int("PDAO_VERSION_MAX_COLUMNS", default=1_000),
        "cells": env.int("PDAO_VERSION_MAX_CELLS", default=60_000_000),
        "shared_strings_bytes": 256 * _MiB,
        "line_bytes": 1 * _MiB,
    },
    "catalogue": {
        "bytes": 5 * _MiB,
        "zip_members": 100,
        "member_bytes": 32 * _MiB,
        "total_bytes": 64 * _MiB,
        "ratio": 250,
        # A department's catalogue, or a part of it: registered in one transaction, which on
        # SQLite holds the database's writes (2,000 rows take about 6 s).
        "rows": 2_000,
        "csv_rows": 2_000,
        "columns": 50,
        "cells": 100_000,
        "shared_strings_bytes": 8 * _MiB,
        "line_bytes": 64 * 1024,
    },
    # An operator's own billing of one month, uploaded to reconcile with the revenue ledger.
    "statement": {
        "bytes": 5 * _MiB,
        "zip_members": 100,
        "member_bytes": 32 * _MiB,
        "total_bytes": 64 * _MiB,
        "ratio": 250,
        "rows": 20_000,
        "csv_rows": 20_000,
        "columns": 20,
        "cells": 200_000,
        "shared_strings_bytes": 8 * _MiB,
        "line_bytes": 64 * 1024,
    },
    "leak": {
        "bytes": 50 * _MiB,
        "zip_members": 100,
        "member_bytes": 512 * _MiB,
        "total_bytes": 1 * _GiB,
        "ratio": 250,
        "rows": 1_048_576,
        "columns": 500,
        "cells": 10_000_000,
        "shared_strings_bytes": 128 * _MiB,
        "line_bytes": 1 * _MiB,
    },
}
# The process a file is parsed in (pdao.core.sandbox): address space, CPU seconds, the largest
# file it may write, open files, and wall-clock seconds; past any of them the parse ends alone.
PARSE_LIMITS = {
    "version": {
        "memory_bytes": env.int("PDAO_INGEST_MEMORY_BYTES", default=6 * _GiB),
        "cpu_seconds": env.int("PDAO_INGEST_CPU_SECONDS", default=3 * 3600),
        "file_bytes": env.int("PDAO_INGEST_FILE_BYTES", default=16 * _GiB),
        "open_files": 512,
        "wall_seconds": env.int("PDAO_INGEST_WALL_SECONDS", default=3 * 3600),
    },
    # These are read inside a web request: within the web server's 30 s timeout.
    "catalogue": {
        "memory_bytes": 2 * _GiB,
        "cpu_seconds": 20,
        "file_bytes": 64 * _MiB,
        "open_files": 64,
        "wall_seconds": 20,
    },
    "statement": {
        "memory_bytes": 2 * _GiB,
        "cpu_seconds": 20,
        "file_bytes": 64 * _MiB,
        "open_files": 64,
        "wall_seconds": 20,
    },
    "image": {  # a case image decoded and re-encoded (pdao.showcase.scenarios)
        "memory_bytes": 1 * _GiB,
        "cpu_seconds": 15,
        "file_bytes": 64 * _MiB,
        "open_files": 64,
        "wall_seconds": 15,
    },
    "leak": {
        "memory_bytes": 4 * _GiB,
        "cpu_seconds": 25,
        "file_bytes": 64 * _MiB,
        "open_files": 64,
        "wall_seconds": 25,
    },
}
# An ingest job whose worker has not written a heartbeat for this long is marked failed (its
# worker died) and may be retried; a staged file of a failed job is kept this many days.
# DuckDB's memory in an ingest (beyond it, it spills to the job's working directory).
INGEST_DUCKDB_MEMORY = env.str("PDAO_INGEST_DUCKDB_MEMORY", default="1GB")
# Ingest jobs one department may have waiting or running at once.
INGEST_JOBS_PER_PROVIDER = env.int("PDAO_INGEST_JOBS_PER_PROVIDER", default=3)
INGEST_HEARTBEAT_SECONDS = env.int("PDAO_INGEST_HEARTBEAT_SECONDS", default=15)
INGEST_STALE_SECONDS = env.int("PDAO_INGEST_STALE_SECONDS", default=120)
# The task worker counts as offline when a task has waited this long past its time and none
# started meanwhile (pdao/core/worker.py): pages for the bureau, supervisors and providers say
# so, and /healthz reports "degraded".
WORKER_OFFLINE_SECONDS = env.int("PDAO_WORKER_OFFLINE_SECONDS", default=90)
INGEST_KEEP_FAILED_DAYS = env.int("PDAO_INGEST_KEEP_FAILED_DAYS", default=7)

# --- Ledger (区块链存证) ---------------------------------------------------------------------
# The log's name in its checkpoints and signing key (a schema-less URL, per C2SP).
LEDGER_ORIGIN = env.str("PDAO_LEDGER_ORIGIN", default="pdao.liuzhou/ledger")
# Witnesses that cosign each checkpoint: "key-name=holder" pairs, comma-separated.
LEDGER_WITNESSES = [
    tuple(pair.split("=", 1))
    for pair in env.list(
        "PDAO_LEDGER_WITNESSES",
        default=[
            "pdao.liuzhou/witness/information-centre=柳州市信息中心",
            "pdao.liuzhou/witness/finance-bureau=柳州市财政局",
        ],
    )
]
# A new checkpoint is published after writes when the last is older than this (and on demand).
LEDGER_CHECKPOINT_SECONDS = env.int("PDAO_LEDGER_CHECKPOINT_SECONDS", default=60)
# The external anchor: an append-only file of checkpoints; put it on another host or mount.
LEDGER_MIRROR_PATH = Path(
    env.str("PDAO_LEDGER_MIRROR_PATH", default=str(DATA_DIR / "ledger" / "checkpoints.jsonl"))
)
# Encrypts the signing keys at rest (HKDF-derived passphrase); defaults to the SECRET_KEY.
KEY_ENCRYPTION_SECRET = env.str("PDAO_KEY_ENCRYPTION_SECRET", default=SECRET_KEY)

# --- Zone ----------------------------------------------------------------------------------------
# Wall-clock and memory limits of one zone query (DuckDB is interrupted past them); a query
# still marked running this long after its limit was killed with its process (janitor).
ZONE_QUERY_SECONDS = env.float("PDAO_ZONE_QUERY_SECONDS", default=30.0)
ZONE_MEMORY_LIMIT = env.str("PDAO_ZONE_MEMORY_LIMIT", default="1GB")
# Derived datasets one authorization may make a day (each gets fresh noise: docs/zone.md).
ZONE_DERIVED_PER_DAY = env.int("PDAO_ZONE_DERIVED_PER_DAY", default=10)

# --- Authentication -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username/address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Answers has_perm() from the user's roles (pdao.core.permissions).
    "pdao.accounts.backends.RolePermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "pdao.accounts.validators.CharacterClassPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:workbench"
LOGOUT_REDIRECT_URL = "core:home"

# Lockout after repeated failures (django-axes): per username and address together, so one
# attacker cannot lock a user out from everywhere, and the bureau can unlock early.
AXES_FAILURE_LIMIT = env.int("PDAO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PDAO_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# After this many failed sign-ins from one address (any usernames), the sign-in form asks for
# an image captcha as well (django-simple-captcha; images made here, no third party).
LOGIN_CAPTCHA_AFTER = env.int("PDAO_LOGIN_CAPTCHA_AFTER", default=3)
CAPTCHA_2X_IMAGE = False
CAPTCHA_FONT_SIZE = 34
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10  # minutes
AXES_CLIENT_IP_CALLABLE = "pdao.core.context.client_ip"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False

# Single sign-on (OIDC) is off unless an issuer is configured; see docs/operations.md.
OIDC_ENABLED = bool(env.str("PDAO_OIDC_CLIENT_ID", default=""))
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.insert(1, "pdao.accounts.backends.OIDCBackend")
    OIDC_RP_CLIENT_ID = env.str("PDAO_OIDC_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _required("PDAO_OIDC_CLIENT_SECRET", "Set it with the client id.")
    OIDC_RP_SIGN_ALGO = env.str("PDAO_OIDC_SIGN_ALGO", default="RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = _required("PDAO_OIDC_AUTHORIZATION_ENDPOINT", "")
    OIDC_OP_TOKEN_ENDPOINT = _required("PDAO_OIDC_TOKEN_ENDPOINT", "")
    OIDC_OP_USER_ENDPOINT = _required("PDAO_OIDC_USER_ENDPOINT", "")
    OIDC_OP_JWKS_ENDPOINT = env.str("PDAO_OIDC_JWKS_ENDPOINT", default="")
    OIDC_RP_SCOPES = env.str("PDAO_OIDC_SCOPES", default="openid profile email")
    # The claim that carries the platform username (matched, never created: roles come from
    # the bureau, not from the identity provider).
    OIDC_USERNAME_CLAIM = env.str("PDAO_OIDC_USERNAME_CLAIM", default="preferred_username")
    OIDC_CREATE_USER = False

# --- Sessions, cookies and transport security -------------------------------------------------
SESSION_COOKIE_AGE = env.int("PDAO_SESSION_SECONDS", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env.int("PDAO_HSTS_SECONDS", default=31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("PDAO_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("PDAO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Addresses of reverse proxies whose X-Forwarded-For we believe (pdao.core.context.client_ip).
TRUSTED_PROXIES = env.list("PDAO_TRUSTED_PROXIES", default=[])

# --- Language and time --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "pdao" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static files (served by WhiteNoise; every asset is local, no CDN) --------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "pdao" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Mail (Django 6.1 MAILERS) ---------------------------------------------------------------
_EMAIL_BACKEND = env.str(
    "PDAO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND}}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("PDAO_SMTP_HOST", default="localhost"),
        "port": env.int("PDAO_SMTP_PORT", default=587),
        "username": env.str("PDAO_SMTP_USER", default=""),
        "password": env.str("PDAO_SMTP_PASSWORD", default=""),
        "use_tls": env.bool("PDAO_SMTP_TLS", default=True),
        "timeout": 10,
    }
DEFAULT_FROM_EMAIL = env.str("PDAO_DEFAULT_FROM_EMAIL", default="pdao@localhost")

# --- Logging: structured enough to grep, never a dataset row -------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "filters": {"request_id": {"()": "pdao.core.context.RequestIdLogFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("PDAO_LOG_LEVEL", default="INFO")},
    # django-axes logs every reset at INFO; lockouts reach the audit log instead.
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint narrates every step of a PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "matplotlib": {"level": "WARNING"},
    },
}

# The city this installation serves, in Chinese and in English (shown in the platform's name).
CITY_NAME = env.str("PDAO_CITY_NAME", default="柳州市")
CITY_NAME_EN = env.str("PDAO_CITY_NAME_EN", default="Liuzhou")
# 6-digit administrative division code (GB/T 2260) of the city; 450200 is 柳州市.
CITY_DIVISION_CODE = env.str("PDAO_CITY_DIVISION_CODE", default="450200")
