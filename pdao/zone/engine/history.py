"""The register of released cells: a cell whose people differ by fewer than k from a cell
released before gets that cell's answer.

Low-effect detection (`led.py`) keeps one query from differing from another by a condition
that changes a cell by fewer than k people. Two *different* queries can still land on cells
that differ by one person — `缴费基数 >= v` and `缴费基数 > v`, each changing thousands, differ
exactly by those who pay v; two derived tables can differ by one person's value — and equal
sets get equal noise, so comparing such a pair would tell whether that person is there. The
register closes it whatever the construction: every released cell of a personal table is
remembered with a sketch of its people, and a new cell within fewer than k people of a
remembered one (on the same table) is answered with the remembered values. Then the pair
agrees whether the person exists or not.

The sketch: the cell's people counted in 64 buckets by their (secret) unit key. The L1
distance of two sketches never exceeds the number of people in one cell and not the other
(removing or adding a person changes one bucket by one), so every pair closer than k people is
found; a pair further apart may be found too (then an answer a few people stale is given —
a cost in accuracy, never in privacy). The decision compares the distance, perturbed, with k,
so a pair near the boundary is not an exact oracle either.
"""

from __future__ import annotations

import hashlib
import json

from pdao.zone.engine import cellkey
from pdao.zone.engine import model as m
from pdao.zone.engine.types import Policy

BUCKETS = 64


def sketch(row: dict, kinds: int) -> dict:
    """The people of a released cell, per kind of unit: how many, their key, their buckets."""
    found = {"units": [], "keys": [], "buckets": []}
    for i in range(kinds):
        histogram = row.get(f"hist{i}") or {}
        counts = [0] * BUCKETS
        for bucket, count in histogram.items():
            counts[int(bucket)] = int(count)
        found["units"].append(int(row[f"units{i}"]))
        found["keys"].append(str(int(row[f"ukey{i}"])))
        found["buckets"].append(counts)
    return found


def table_key(query: m.Query, policy: Policy) -> str:
    """What a cell is a cell of: the files read (a version's keyed copy, a derived dataset) and
    the declared join."""
    parts = [policy.tables[s.name].path for s in query.sources]
    if query.join is not None:
        parts.append(f"{query.join.left.name}={query.join.right.name}:{query.join.kind}")
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def distance(a: dict, b: dict, kind: int) -> int:
    return sum(abs(x - y) for x, y in zip(a["buckets"][kind], b["buckets"][kind], strict=True))


def similar(a: dict, b: dict, policy: Policy, salt: str) -> bool:
    """Whether two cells' people differ by fewer than k (perturbed), in every kind of unit."""
    if len(a["units"]) != len(b["units"]):
        return False
    p = policy.perturbation
    for kind in range(len(a["units"])):
        if abs(a["units"][kind] - b["units"][kind]) >= policy.k:
            return False
        apart = distance(a, b, kind)
        if apart == 0:
            continue
        key = int(hashlib.sha256(f"{a['keys'][kind]}|{salt}".encode()).hexdigest()[:16], 16)
        noisy = cellkey.perturb_count(apart, 1, key, noise_key=policy.noise_key + b"|register",
                                      D=p.D, V=p.V, mu=p.mu)  # fmt: skip
        if noisy >= policy.k:
            return False
    return True


def agree(table: str, sketches: list[dict], values: list[dict], policy: Policy) -> list[dict]:
    """Each released cell's values, taken from the closest remembered cell within fewer than
    k people where there is one (for the measures it had); fresh otherwise."""
    lookup = policy.history
    firsts = [s["units"][0] for s in sketches]
    candidates = lookup(table, min(firsts) - policy.k, max(firsts) + policy.k)
    agreed = []
    for mine, fresh in zip(sketches, values, strict=True):
        close = [
            (sum(distance(mine, c["sketch"], t) for t in range(len(mine["units"]))), c)
            for c in candidates
            if abs(c["sketch"]["units"][0] - mine["units"][0]) < policy.k
            and similar(mine, c["sketch"], policy, str(c["id"]))
        ]
        if not close:
            agreed.append(fresh)
            continue
        _apart, best = min(close, key=lambda x: (x[0], x[1]["id"]))
        agreed.append({label: best["values"].get(label, value) for label, value in fresh.items()})
    return agreed
