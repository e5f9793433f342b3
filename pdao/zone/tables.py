"""The zone's copies of active versions (`engine.prepare`): the version's rows plus a keyed
hash of each privacy unit, under PDAO_DATA_DIR/zone, named by the version's SHA-256 and the
unit column. Made by the task worker when a version is activated; a query that arrives first
makes it itself (under a lock, so two never race to write one)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from django.conf import settings
from django.tasks import task

from pdao.catalogue import services as catalogue
from pdao.catalogue.models import Version
from pdao.zone import engine

_lock = threading.Lock()


def zone_dir() -> Path:
    return Path(settings.DATA_DIR) / "zone"


def version_path(version) -> Path:
    return catalogue.versions_dir() / version.path


def copy_path(version, unit: str) -> Path:
    tag = hashlib.sha256(unit.encode()).hexdigest()[:8]
    return zone_dir() / f"{version.sha256}-{tag}.parquet"


def prepared(version, unit: str) -> Path:
    """The zone's copy of `version` keyed by `unit`, made now if it is missing."""
    from pdao.zone.policy import noise_key  # policy imports this module

    path = copy_path(version, unit)
    if path.exists():
        return path
    with _lock:
        engine.prepare(
            version_path(version),
            path,
            units=[unit],
            noise_key=noise_key(),
            memory_limit=settings.ZONE_MEMORY_LIMIT,
        )
    return path


@task()
def prepare_version(version_pk: int) -> str:
    """Make the zone's copy of a newly activated version before the first query needs it."""
    version = Version.objects.select_related("resource").filter(pk=version_pk).first()
    if version is None or version.resource.non_personal:
        return "skipped"
    unit = version.resource.fields.filter(is_privacy_unit=True).first()
    if unit is None:
        return "skipped"
    return str(prepared(version, unit.name))
