"""How numbers and choice codes read on a page: figures with thousands separators and at most
two decimals (a table of results, not a float's repr), output forms by their names."""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

from pdao.authorization.choices import OutputForm
from pdao.catalogue.choices import FieldType
from pdao.catalogue.ingest import TYPES

register = template.Library()


@register.filter
def figure(value):
    """12345 → 12,345; 16509.6443 → 16,509.64; anything else as it is. Downloads keep the
    full value; this is only for reading."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def minutes(duration) -> int | str:
    """A timedelta in whole minutes (30 for a 30-minute lockout); anything else as it is."""
    seconds = getattr(duration, "total_seconds", None)
    return int(seconds() // 60) if seconds else duration


@register.filter
def form_labels(forms) -> str:
    """aggregate, dp → 聚合统计、差分隐私 (", " in English)."""
    labels = {value: str(label) for value, label in OutputForm.choices}
    separator = ", " if (get_language() or "").startswith("en") else "、"
    return separator.join(labels.get(f, f) for f in forms)


_FIELD_TYPE_OF_SQL = {sql: kind for kind, sql in TYPES.items()}


@register.filter
def sql_type(name: str):
    """VARCHAR → 文本 <code>VARCHAR</code>: the catalogue's name of a column type, with the SQL
    type the operator queries beside it (an unknown type as code alone)."""
    kind = _FIELD_TYPE_OF_SQL.get(str(name).upper())
    if kind is None:
        return format_html("<code>{}</code>", name)
    return format_html("{} <code>{}</code>", FieldType(kind).label, name)
