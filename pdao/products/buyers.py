"""Who may take a product: rules other pillars hold, checked on every subscription.

The market declares related parties (organisations that may not buy one another's products);
products does not import the market, so the market registers its rule here when its app is
ready, as finance registers its cap check in `pdao.products.caps`.
"""

from __future__ import annotations

from collections.abc import Callable

# A rule: (product, consumer organisation) → why it may not take the product, or "".
_rules: list[Callable] = []


def register(rule: Callable) -> None:
    if rule not in _rules:
        _rules.append(rule)


def problems(product, consumer) -> list[str]:
    return [p for rule in _rules if (p := rule(product, consumer))]
