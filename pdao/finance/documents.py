"""Amounts as the finance pillar's documents write them; the documents themselves are
`pdao.core.papers`."""

from pdao.finance import money


def amount(amount_fen: int) -> str:
    """Fen as yuan with thousands separators and two decimals: 1,234,567.80."""
    return f"{money.yuan(amount_fen):,.2f}"
