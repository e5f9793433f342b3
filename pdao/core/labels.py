"""Stored codes read as words: a record's type ("zone.zonequery") by its model's name in the
reader's language. Pages show these; the code stays in a title attribute or a <code>."""

from __future__ import annotations

from django.apps import apps


def object_label(object_type: str) -> str:
    """ "authorization.application" → 授权申请 (Application in English); the code itself when
    no model has it (a record type from an older release)."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)
