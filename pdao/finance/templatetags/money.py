"""Amounts and rates as they read on finance pages: fen as yuan with two decimals and
thousands separators, percentages without trailing zeros."""

from decimal import Decimal

from django import template

from pdao.finance import documents, money

register = template.Library()


@register.filter
def yuan(amount_fen):
    """123456 → 1,234.56; None → —."""
    return "—" if amount_fen is None else documents.amount(int(amount_fen))


@register.filter
def percent(value):
    """Decimal("8.5000") → 8.5%; a deviation ratio is passed through `ratio` first."""
    if value is None:
        return "—"
    return f"{Decimal(value).normalize():f}%"


@register.filter
def ratio(value):
    """Decimal("0.120000") → 12%."""
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal('0.01')).normalize():f}%"


@register.filter
def unit_price(value):
    """A unit price in yuan as the plan states it: at least two decimals, no padding beyond
    what it has. Decimal("0.4500") → 0.45; Decimal("0.0049") → 0.0049; 1 → 1.00."""
    return "—" if value is None else money.unit_text(value)
