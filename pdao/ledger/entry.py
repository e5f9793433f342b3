"""The canonical form of a ledger entry: the exact bytes that are hashed into the log.

Canonical JSON: an object with sorted keys, no whitespace, UTF-8 (not \\u-escaped), and no
floats (amounts are integers of the smallest unit, or strings), so any two implementations
produce the same bytes. An entry holds:

    v             1
    type          what happened, e.g. "dataset.version", "authorization.suspend"
    subject       {"kind": id, ...}: the records concerned, ids as strings
    content_hash  hex SHA-256 of the anchored content (a file, an agreement, a batch root)
    actor         who did it ("" for the system)
    time          UTC, RFC 3339 to the second: "2026-11-26T06:30:00Z"

>>> canonical({"type": "x", "n": 1, "name": "柳州"})
b'{"n":1,"name":"\\xe6\\x9f\\xb3\\xe5\\xb7\\x9e","type":"x"}'
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class EntryError(ValueError):
    """An entry that has no canonical form."""


def _check(value) -> None:
    if isinstance(value, float):
        raise EntryError("floats have no canonical form: use integers or strings")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EntryError("object keys must be strings")
            _check(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item)
    elif not isinstance(value, str | int | bool | type(None)):
        raise EntryError(f"{type(value).__name__} has no canonical form")


def canonical(value: dict) -> bytes:
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def make(
    *, type: str, subject: dict[str, str], content_hash: str, actor: str, time: datetime
) -> bytes:
    """The canonical bytes of one entry."""
    if not _HEX64.match(content_hash):
        raise EntryError("content_hash must be 64 lower-case hex digits (SHA-256)")
    if time.tzinfo is None:
        raise EntryError("time must be timezone-aware")
    return canonical(
        {
            "v": 1,
            "type": type,
            "subject": {k: str(v) for k, v in subject.items()},
            "content_hash": content_hash,
            "actor": actor,
            "time": time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def parse(data: bytes) -> dict:
    """The entry's fields, after checking the bytes are in canonical form."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EntryError("entry is not UTF-8 JSON") from error
    if not isinstance(value, dict) or canonical(value) != data:
        raise EntryError("entry is not in canonical form")
    return value
