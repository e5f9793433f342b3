"""The bureau's price cap held against what the operator may earn in the year.

The national notice asks that the caps fit inside the operator's maximum allowed revenue
(MAR): the sum over its charged products of cap × expected yearly volume must not exceed it.
The MAR belongs to the finance pillar, which products does not import: finance registers a
`CapCheck` here when its app is ready. Without one, caps are checked against nothing more.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol


class CapCheck(Protocol):
    def problem(self, product, cap: Decimal, volume: int) -> str:
        """Why this cap and expected volume would push expected revenue past the MAR; ""."""

    def outlook(self, product) -> str:
        """The product's expected revenue against the operator's MAR, as one sentence."""


_checks: list[CapCheck] = []


def register(check: CapCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def problems(product, cap: Decimal, volume: int) -> list[str]:
    return [p for check in _checks if (p := check.problem(product, cap, volume))]


def outlooks(product) -> list[str]:
    return [o for check in _checks if (o := check.outlook(product))]
