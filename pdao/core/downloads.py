"""File names of downloads in Chinese (RFC 6266): `filename*` carries the UTF-8 name every
current browser uses, `filename` an ASCII fallback for the few that do not read it."""

from __future__ import annotations

import re
from urllib.parse import quote


def disposition(name: str, *, fallback: str | None = None) -> str:
    """The Content-Disposition value of an attachment called `name` (say 审计日志-20261128.xlsx).
    `fallback`: the ASCII name for old clients (default: the name's ASCII letters, digits and
    punctuation, or "download" and its extension)."""
    safe = re.compile(r"[^A-Za-z0-9._-]+")
    if name.isascii():
        return f'attachment; filename="{safe.sub("-", name).strip("-") or "download"}"'
    if fallback is None:
        stem, dot, extension = name.rpartition(".")
        fallback = f"{safe.sub('-', stem).strip('-')}.{extension}" if dot else name
    stem, dot, extension = fallback.rpartition(".")
    stem = safe.sub("-", stem if dot else fallback).strip("-") or "download"
    extension = safe.sub("", extension) if dot else ""
    fallback = f"{stem}.{extension}" if extension else stem
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def attach(response, name: str, **kwargs):
    """Set `response` to download as `name`; returns it."""
    response["Content-Disposition"] = disposition(name, **kwargs)
    return response
