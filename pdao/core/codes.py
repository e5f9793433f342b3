"""Yearly serial codes of records (LZ-AP-2026-0001, LZ-DP-…, LZ-IN-…): one rule for all."""

from django.db.models import Max
from django.utils import timezone


def next_code(prefix: str, model, field: str = "code") -> str:
    """The next `<prefix>-<year>-NNNN` after the highest one of this year in `model.field`."""
    stem = f"{prefix}-{timezone.localdate().year}-"
    last = model.objects.filter(**{f"{field}__startswith": stem}).aggregate(m=Max(field))["m"]
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{number:04d}"
