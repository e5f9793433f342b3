"""The cell key method: the same cell always gets the same noise; a cell that differs by one
person gets independent noise.

The method is the one statistical agencies use for self-service tables over confidential
microdata (Thompson, Broadfoot and Elazar 2013, the ABS TableBuilder; Giessing and Tent 2019
for magnitudes; Eurostat's census guidance), adapted to data where one person has many rows:

- **Unit keys.** The zone's copy of a table carries, per row, a keyed hash of its privacy unit
  (`prepare`): the same person has the same key in every table and version, and no one
  without the platform's secret can compute it.
- **Cell keys.** A measure's cell key is the sum, modulo 2⁶⁴, over the units contributing to
  the cell, of a hash of (unit key, that unit's contribution): its row count for a count, its
  (clamped) total for a sum. The same set of contributions always gives the same key, whatever
  query, filter, join or derived dataset produced it; one unit more or less, or one
  contribution changed, gives a key independent of the first. Units contributing zero do not
  enter a sum's key, so adding or removing them cannot redraw its noise.
- **Perturbation table.** For counts: noise in {−D … D} with mean 0 and variance V, the
  maximum-entropy distribution under those constraints (as the sdcTools `ptable` package
  builds; Giessing 2016). The cell key, mixed with the platform's noise key (HMAC-SHA256) into
  a uniform number u, picks the noise by the table's cumulative probabilities.
- **Magnitudes.** Sums get `mu × x₁ × η`, where x₁ is the largest absolute contribution of one
  unit in the cell and η spreads the count table's noise evenly over each step (a continuous
  variable on [−D − ½, D + ½] with variance V + 1/12, drawn from the same u). Counts of rows
  where a unit may have many rows get `round(max(1, mu × x₁) × η)`: with one row per unit
  that is exactly the count table's noise.
- Means are perturbed sums over perturbed counts; ratios and rounding come after.

    >>> table = PTable.build(D=4, V=3.0)
    >>> round(sum(table.probabilities), 12), round(table.variance, 9), table.noise(0.5)
    (1.0, 3.0, 0)
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from functools import lru_cache

MODULUS = 1 << 64


@dataclass(frozen=True)
class PTable:
    """A perturbation table: the probability of each noise value −D … D."""

    D: int
    probabilities: tuple[float, ...]

    @classmethod
    def build(cls, *, D: int, V: float) -> PTable:
        """The maximum-entropy distribution on {−D … D} with mean 0 and variance V: by symmetry
        and Lagrange, p(j) ∝ exp(−λ j²); λ is found by bisection (the variance falls as λ
        grows, from the uniform distribution's (D² + D) / 3 at λ = 0)."""
        if D < 1 or not 0 < V < (D * D + D) / 3:
            raise ValueError("need D ≥ 1 and 0 < V < (D² + D) / 3")
        values = range(-D, D + 1)

        def variance(lam: float) -> float:
            weights = [math.exp(-lam * j * j) for j in values]
            total = sum(weights)
            return sum(w * j * j for w, j in zip(weights, values, strict=True)) / total

        low, high = 0.0, 50.0
        for _ in range(200):
            mid = (low + high) / 2
            low, high = (mid, high) if variance(mid) > V else (low, mid)
        weights = [math.exp(-low * j * j) for j in values]
        total = sum(weights)
        return cls(D, tuple(w / total for w in weights))

    @property
    def variance(self) -> float:
        return sum(
            p * j * j for p, j in zip(self.probabilities, range(-self.D, self.D + 1), strict=True)
        )

    def noise(self, u: float) -> int:
        """The noise a uniform u in [0, 1) picks."""
        return math.floor(self.continuous(u) + 0.5)

    def continuous(self, u: float) -> float:
        """η: the noise value j plus a uniform offset within [j − ½, j + ½), from the same u."""
        cumulative = 0.0
        for index, p in enumerate(self.probabilities):
            if u < cumulative + p or index == len(self.probabilities) - 1:
                within = min(max((u - cumulative) / p, 0.0), 1.0 - 1e-12) if p else 0.5
                return index - self.D - 0.5 + within
            cumulative += p
        raise AssertionError("unreachable")


@lru_cache(maxsize=8)
def table(D: int, V: float) -> PTable:
    return PTable.build(D=D, V=V)


def uniform(noise_key: bytes, kind: str, cell_key: int) -> float:
    """The cell key, mixed with the platform's noise key, as a uniform number in [0, 1): the
    same cell and kind of measure always give the same number."""
    message = f"{kind}:{int(cell_key) % MODULUS}".encode()
    digest = hmac.new(noise_key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / MODULUS


def perturb_count(true: int, largest: int, cell_key: int, *, noise_key: bytes, D: int, V: float,
                  mu: float) -> int:  # fmt: skip
    """A count of rows (or units) whose largest contribution by one unit is `largest`."""
    eta = table(D, V).continuous(uniform(noise_key, "count", cell_key))
    scale = max(1.0, mu * float(largest or 1))
    return int(true) + math.floor(scale * eta + 0.5)


def perturb_sum(true: float, largest: float, cell_key: int, *, noise_key: bytes, D: int,
                V: float, mu: float) -> float:  # fmt: skip
    """A sum whose largest absolute contribution by one unit is `largest`."""
    eta = table(D, V).continuous(uniform(noise_key, "sum", cell_key))
    return float(true) + mu * abs(float(largest or 0.0)) * eta


def error_sd(*, V: float, mu: float, pairs: int = 1) -> float:
    """The standard deviation, as a share of one unit's contribution x, of an estimate of x
    from `pairs` independent differencing pairs (each a cell with the unit and one without,
    where x is the largest contribution): mu·√(2(V + 1/12)/pairs) at least."""
    return mu * math.sqrt(2 * (V + 1 / 12) / pairs)
