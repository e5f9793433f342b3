"""File names of downloads in Chinese (RFC 6266): `filename*` carries the UTF-8 name every
current browser uses, `filename` an ASCII fallback for the few that do not read it."""

from __future__ import annotations

import re
from urllib.parse import quote


def disposition(name: str, *, fallback: str | None = None) -> str:
    """The Content-Disposition value of an attachment called `name` (say 审计日志-20261128.xlsx).
    `fallback`: the ASCII name for old clients (default: the name's ASCII letters, digits and
    punctuation, or "download" and its extension)."""
    if fallback is None:
        stem, dot, extension = name.rpartition(".")
        ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem if dot else name).strip("-")
        fallback = f"{ascii_stem or 'download'}.{extension}" if dot else ascii_stem or "download"
    fallback = fallback.replace('"', "")
    if name.isascii():
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def attach(response, name: str, **kwargs):
    """Set `response` to download as `name`; returns it."""
    response["Content-Disposition"] = disposition(name, **kwargs)
    return response
