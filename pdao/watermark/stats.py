"""Exact binomial tails for the trace test, in log space (no SciPy in the project)."""

from __future__ import annotations

import math
from functools import lru_cache

_LOG_HALF = math.log(0.5)
_TINY = 1e-18  # relative size below which further terms cannot change a double


def _log_pmf(k: int, n: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + n * _LOG_HALF


def _sum_down(first: int, last: int, n: int) -> float:
    """Σ pmf(k) for k from `first` to `last` (inclusive), walking away from the mode, where
    the terms only shrink; stops once a term no longer changes the sum."""
    step = 1 if last >= first else -1
    total = 0.0
    for k in range(first, last + step, step):
        term = math.exp(_log_pmf(k, n))
        total += term
        if term < total * _TINY:
            break
    return total


@lru_cache(maxsize=65536)
def upper_tail(successes: int, n: int) -> float:
    """P(X ≥ successes) for X ~ Binomial(n, 1/2): the chance an innocent recipient's bits
    agree with the file on at least `successes` of `n` rows.

    >>> upper_tail(10, 10) == 0.5 ** 10
    True
    """
    if successes <= 0:
        return 1.0
    if successes > n:
        return 0.0
    if 2 * successes > n:  # beyond the mode: terms shrink as k grows
        return min(1.0, _sum_down(successes, n, n))
    # at or below the mode: one minus the lower tail, whose terms shrink as k falls
    return max(0.0, 1.0 - _sum_down(successes - 1, 0, n))


def bonferroni(p: float, tests: int) -> float:
    """An upper bound on P(any of `tests` innocent candidates scores with p-value ≤ p)."""
    return min(1.0, p * tests)
