"""Files kept by their content: written once under DATA_DIR/<area>/<sha256>.<suffix>, through a
temporary name and an atomic rename, so a reader never sees half a file and the same bytes are
stored once. What a record keeps is the digest; the file is found again from it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings


def path_of(area: str, digest: str, suffix: str) -> Path:
    return Path(settings.DATA_DIR) / area / f"{digest}.{suffix}"


def store(area: str, data: bytes, suffix: str) -> str:
    """Keep `data` and return its hex SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(area, digest, suffix)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = target.with_name(f"{target.name}.part")
        partial.write_bytes(data)
        partial.replace(target)
    return digest


def read(area: str, digest: str, suffix: str) -> bytes | None:
    """The stored bytes, or None when the file is gone or no longer has that digest."""
    target = path_of(area, digest, suffix)
    if not target.is_file():
        return None
    data = target.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == digest else None
