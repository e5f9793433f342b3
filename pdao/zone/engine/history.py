"""The register of released values: a number that differs from one released before by fewer
than k people's contributions gets that number.

The cell key method gives equal sets of contributions equal noise, and any other set
independent noise. Low-effect detection (`led.py`) keeps a condition of one query from changing
a cell by fewer than k people. But two *different* queries can still land on numbers that differ
by one person: `缴费基数 >= v` and `缴费基数 > v`, each changing thousands, differ exactly by
those who pay v; a derived dataset can zero one person's value, under a new column name, or
pad a sum with thousands of people who contribute nothing to it. With independent noise, such
a pair tells the person's contribution give or take the noise, and a new pair for every new
derived dataset would average it away.

The register closes that whatever the construction. Every number released from personal data
— a count of people, of rows or of values, a sum — is remembered with what each person
contributed to it, and a later number whose contributions differ from a remembered one's in
fewer than k people (the same family of tables; see `family`) is answered with the closest
remembered number's value. Then the pair agrees, whether the person is there or not, whatever
their value. Every number released is remembered with the value it was given (unless the same
set is remembered already), so a number one person from one asked before always finds it: a
pair one person apart never falls on two sides of a remembered number's edge. The cost is in
accuracy: a series of small steps (a threshold moved person by person) keeps one answer.

What is remembered, per number and per kind of privacy unit:

- how many people contribute (a sum counts only non-zero contributions; a person with none is
  as good as absent);
- a sketch: those people's (secret) unit keys in 64 buckets, each bucket the sum of hashes of
  (unit key, contribution). One person added, removed or changed alters one bucket, so the
  number of buckets that differ never exceeds the number of people who differ; the distance of
  two numbers is that count or the difference in contributors, whichever is larger. Numbers
  further apart may be found close too — then an answer a few people stale is given, a cost in
  accuracy, never in privacy. The decision compares the distance, perturbed like a count, with
  k, so a pair near the boundary is no exact oracle either.
- codes: each bucket's smallest unit key among the contributors, the CODES smallest of those.
  Two sets that differ in d < CODES people differ in at most d buckets' smallest keys, so the
  smallest key of the buckets that agree is among both lists (at most d keys of either rank
  below it): looking numbers up by code finds every pair that could be close.

The platform keeps the register in its database (`zone.models.ReleasedValue`); the engine only
reads it through `Policy.history` and says what to add (`Released.remember`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pdao.zone.engine import cellkey
from pdao.zone.engine import model as m
from pdao.zone.engine.types import Policy

BUCKETS = 64
CODES = 24  # at least k + D for the largest k (20, 重要数据) and D (4)
SIGNED = 1 << 63


@dataclass
class Part:
    """What the people of one kind of unit contribute to a number."""

    contributors: int
    key: int  # the number's cell key in this kind (the sum of the buckets, modulo 2⁶⁴)
    buckets: dict[int, int]  # bucket → sum of hashes of (unit key, contribution), low 32 bits
    codes: list[int]  # the smallest unit keys among the contributors

    def to_json(self) -> dict:
        text = "".join(f"{self.buckets.get(b, 0):08x}" for b in range(BUCKETS))
        return {"n": self.contributors, "key": str(self.key), "buckets": text}

    @classmethod
    def from_json(cls, data: dict) -> Part:
        text = data["buckets"]
        buckets = {b: int(text[8 * b : 8 * b + 8], 16) for b in range(BUCKETS)}
        return cls(int(data["n"]), int(data["key"]), {b: h for b, h in buckets.items() if h}, [])


@dataclass
class Number:
    """A number about to be released: its family (`scope`), its people, its fresh value."""

    family: str
    parts: list[Part]
    value: object
    fresh: bool = True
    agreed: object = None
    apart: int | None = None  # buckets from the number whose value it was given
    # A count of people: whether its cell showed, and the number it was given the value of
    # (a remembered one or an earlier one of this answer), to tell when the two cells' showing
    # differs — a pair one person apart near k (docs/zone.md, thresholds near k).
    shown: bool | None = None
    match: object = None

    @property
    def new(self) -> bool:
        """Worth remembering: answered afresh, or a set no remembered number has exactly."""
        return self.fresh or bool(self.apart)

    @property
    def contributors(self) -> int:
        return self.parts[0].contributors

    @property
    def codes(self) -> list[int]:
        return self.parts[0].codes

    @property
    def flipped(self) -> bool:
        """A count of people whose cell shows while the one it agreed with did not, or the
        other way round. The same set of people too: whether a cell shows is decided on the
        cell as asked, and low-effect detection may have widened two cells a person apart to
        the same slice."""
        theirs = getattr(self.match, "shown", None)
        return None not in (self.shown, theirs) and self.shown != theirs

    def remember(self) -> dict:
        sketch = {"parts": [p.to_json() for p in self.parts]}
        if self.shown is not None:
            sketch["shown"] = self.shown
        return {
            "family": self.family,
            "contributors": self.contributors,
            "codes": [c - SIGNED for c in self.codes],
            "sketch": sketch,
            "value": self.agreed,
            "fresh": self.fresh,
        }


def part(contributors, key, buckets, hashes, codes) -> Part:
    """A Part from the engine's columns: the bucket numbers and their hash sums as lists."""
    found = {}
    for b, h in zip(buckets or [], hashes or [], strict=True):
        low = int(h or 0) % cellkey.MODULUS & 0xFFFFFFFF
        if low:
            found[int(b)] = low
    return Part(int(contributors or 0), int(key or 0) % cellkey.MODULUS, found,
                sorted(int(c) for c in codes or [])[:CODES])  # fmt: skip


def family(query: m.Query, policy: Policy, units) -> str:
    """Whose people a query's numbers are about: the roots of its units, by lineage (a table's
    resource; a derived dataset's sources), in order. A derived copy of a table is of the
    table's family, so its numbers meet the table's in the register."""
    roots = []
    for unit in units:
        table = policy.tables[unit.table]
        roots.append(table.root(table.units.index(unit.column)))
    return hashlib.sha256(json.dumps(roots, ensure_ascii=False).encode()).hexdigest()


def scoped(family_key: str, kinds: tuple[int, ...]) -> str:
    """A family narrowed to the kinds of unit a number counts (people or enterprises of a
    join, or both)."""
    return hashlib.sha256(f"{family_key}|{','.join(map(str, kinds))}".encode()).hexdigest()


def distance(a: Part, b: Part) -> int:
    differing = sum(1 for x in a.buckets.keys() | b.buckets.keys()
                    if a.buckets.get(x, 0) != b.buckets.get(x, 0))  # fmt: skip
    return max(differing, abs(a.contributors - b.contributors))


def similar(new: list[Part], remembered: list[Part], policy: Policy) -> int | None:
    """How far a number's contributions are from a remembered number's (buckets, in all kinds
    of unit), if fewer than k people apart in every kind; None otherwise. The distance is
    compared with k moved by the remembered number's own noise, the same for every number
    compared with it."""
    if len(new) != len(remembered):
        return None
    p = policy.perturbation
    total = 0
    for mine, theirs in zip(new, remembered, strict=True):
        if abs(mine.contributors - theirs.contributors) >= policy.k + p.D:
            return None
        apart = distance(mine, theirs)
        total += apart
        if apart == 0:
            continue
        noisy = cellkey.perturb_count(apart, 1, theirs.key, noise_key=policy.noise_key
                                      + b"|register", D=p.D, V=p.V, mu=p.mu)  # fmt: skip
        if noisy >= policy.k:
            return None
    return total


class _Remembered:
    """A remembered number as the register gave it; its sketch read when first compared."""

    def __init__(self, row: dict):
        self.id = int(row["id"])
        self.contributors = int(row["contributors"])
        self.codes = {c + SIGNED for c in row.get("codes") or []}
        self.value = row["value"]
        self._sketch = row["sketch"]
        self._parts: list[Part] | None = None

    @property
    def shown(self) -> bool | None:
        return self._sketch.get("shown")

    @property
    def parts(self) -> list[Part]:
        if self._parts is None:
            self._parts = [Part.from_json(p) for p in self._sketch["parts"]]
        return self._parts


def agree(numbers: list[Number], policy: Policy, before: list[Number] = ()) -> None:
    """Give each number the value of the closest remembered number (or earlier number of the
    same answer) within fewer than k people, or its own fresh value; in order. Every released
    number is remembered with the value it was given, so a number one person away from one
    asked before — before or after it in a series, in this answer or an earlier one — gets
    that number's value: a pair never straddles the edge of a remembered number. `before`:
    numbers of the same answer agreed already."""
    reach = policy.k + policy.perturbation.D
    # Per family, code → the remembered numbers and the earlier numbers of this answer that
    # have it (two numbers that could be close share a code).
    remembered: dict[str, dict[int, list[_Remembered]]] = {}
    for name in {n.family for n in numbers}:
        mine = [n for n in numbers if n.family == name]
        codes = {c - SIGNED for n in mine for c in n.codes}
        least = min(n.contributors for n in mine) - reach
        most = max(n.contributors for n in mine) + reach
        index: dict[int, list[_Remembered]] = {}
        for row in policy.history(name, codes, least, most) if codes else []:
            found = _Remembered(row)
            for code in found.codes:
                index.setdefault(code, []).append(found)
        remembered[name] = index
    earlier: dict[str, dict[int, list[tuple[int, Number]]]] = {}

    def keep(order: int, number: Number) -> None:
        index = earlier.setdefault(number.family, {})
        for code in number.codes:
            index.setdefault(code, []).append((order, number))

    for order, number in enumerate(before):
        keep(order - len(before), number)
    for order, number in enumerate(numbers):
        best = None  # ((distance, 0 remembered | 1 this answer, order), value, the number)
        seen: set[int] = set()
        index = remembered.get(number.family, {})
        for code in number.codes:
            for other in index.get(code, ()):
                if other.id in seen:
                    continue
                seen.add(other.id)
                if abs(other.contributors - number.contributors) >= reach:
                    continue
                apart = similar(number.parts, other.parts, policy)
                rank = (apart, 0, other.id)
                if apart is not None and (best is None or rank < best[0]):
                    best = (rank, other.value, other)
        mine: set[int] = set()
        for code in number.codes:
            for rank_order, other in earlier.get(number.family, {}).get(code, ()):
                if rank_order in mine:
                    continue
                mine.add(rank_order)
                apart = similar(number.parts, other.parts, policy)
                rank = (apart, 1, rank_order)
                if apart is not None and (best is None or rank < best[0]):
                    best = (rank, other.agreed, other)
        if best is None:
            number.fresh, number.agreed, number.apart = True, number.value, None
        else:
            number.fresh, number.agreed, number.apart = False, best[1], best[0][0]
            number.match = best[2]
        keep(order, number)
