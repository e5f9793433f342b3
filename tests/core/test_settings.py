"""The settings module as production and a careless operator would meet it."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _documented_production_values() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            if value:
                values[key] = value
    return values


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # A clean environment: only what the test gives, so a developer's .env or shell cannot
    # make this pass. PDAO_* keys absent here are blanked so .env cannot fill them either.
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "pdao.settings"}
    blank = {k: "" for k in _documented_production_values() if k not in env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base | blank | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_documented_production_values():
    env = _documented_production_values() | {"PDAO_SECRET_KEY": secrets.token_urlsafe(50)}
    assert "PDAO_DEBUG" in env and env["PDAO_DEBUG"] == "false"
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_secret_key_fails_loudly_with_a_hint():
    result = _manage("check", env={"PDAO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "PDAO_SECRET_KEY is not set" in result.stderr
    assert ".env.example" in result.stderr


def test_oidc_half_configured_fails_loudly():
    env = {"PDAO_SECRET_KEY": "x" * 60, "PDAO_OIDC_CLIENT_ID": "pdao"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "PDAO_OIDC_CLIENT_SECRET is not set" in result.stderr


def test_every_setting_read_is_documented_in_env_example():
    source = (ROOT / "pdao" / "settings.py").read_text(encoding="utf-8")
    documented = set(_documented_production_values()) | {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    }
    import re

    read = set(re.findall(r"\"((?:PDAO_[A-Z_]+|DATABASE_URL))\"", source))
    assert read - documented == set()


def test_without_a_cache_url_every_process_of_the_host_shares_a_file_cache(tmp_path):
    """Rate limits must count across the demo's server processes: the default cache is a file
    cache under PDAO_DATA_DIR, not each process's memory."""
    env = {"PDAO_SECRET_KEY": secrets.token_urlsafe(50), "PDAO_DATA_DIR": str(tmp_path)}
    script = (
        "from django.core.cache import cache; from django.conf import settings; "
        "cache.set('pdao-shared', 'yes'); print(settings.CACHES['default']['BACKEND'])"
    )
    first = _manage("shell", "-c", script, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1].endswith("FileBasedCache")
    other = _manage(
        "shell",
        "-c",
        "from django.core.cache import cache; print(cache.get('pdao-shared'))",
        env=env,
    )
    assert other.stdout.strip().splitlines()[-1] == "yes"
