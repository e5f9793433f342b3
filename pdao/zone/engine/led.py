"""Low-effect detection: a condition that changes a cell by fewer than k people is disregarded
for that cell.

Why: the cell key method gives the same set of people the same noise, so two queries that
define the same set give the same answer. "The district" and "the district without the person
aged 70" are the same set exactly when that person is not in it; if the second query answered
with the person left out, comparing the two would tell whether they are there — one bit per
pair, and by moving a threshold (缴费基数 > v) their exact value in twenty pairs. Noise cannot
hide that: equal sets must give equal answers, or repeating would average the noise away.

So for every released cell the engine measures the effect of each condition of the filter
(each node of its AND/OR/NOT tree) and of each of the cell's own key values along each grouping
dimension: the people whose rows would enter or leave the cell if that condition were absent.
An effect of fewer than k people (compared after perturbing the count, so the decision near k
is itself noisy) means the condition is dropped for that cell — taken as TRUE under an AND,
FALSE under an OR, the key widened to its whole slice — and the cell is computed again without
it. Then "the district" and "the district without the person aged 70" are the same cell whether
or not that person exists, and the comparison says nothing. No condition that changes a cell by
k people or more is touched, so ordinary questions are answered as asked.

The same idea is Diffix's low-effect detection (Francis et al.); here it works with the cell
keys: what decides is the set of people affected, never the query's wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pdao.zone.engine import cellkey, connect, sql
from pdao.zone.engine import model as m
from pdao.zone.engine.errors import refuse
from pdao.zone.engine.types import Policy

MAX_NODES = 64
MAX_EXACT = 200  # exact effect counts one query may need (each reads the affected rows)


@dataclass
class Variant:
    """A released cell that has to be computed again with some conditions disregarded."""

    keys: tuple
    dropped: dict = field(default_factory=dict)  # id(node) → the constant it is taken as
    widened: set = field(default_factory=set)  # key dimensions dropped


def _base(query: m.Query, units, from_sql: str, conditions: list[str]) -> str:
    keys = [f"{sql.operand(k)} AS k{i}" for i, k in enumerate(query.keys)]
    unit_cols = [f"{u.key} AS u{i}" for i, u in enumerate(units)]
    flags = [f"coalesce({c}, FALSE) AS f{i}" for i, c in enumerate(conditions)]
    return f"SELECT {', '.join([*keys, *unit_cols, *flags])} FROM {from_sql}"


def detect(query: m.Query, policy: Policy, con, units, from_sql: str, cells: list[tuple],
           cheap_rows: int | None) -> list[Variant]:  # fmt: skip
    """The released cells (their key values as DuckDB returned them) that need computing again.

    `cheap_rows`: a row count at which a set surely holds k + D units (None: always count)."""
    if not cells or (query.where is None and not query.keys):
        return []
    tree = sql.nodes(query.where) if query.where is not None else []
    if len(tree) > MAX_NODES:
        refuse("filter.too_complex", f"筛选条件过于复杂(超过 {MAX_NODES} 个条件)")
    whole = sql.condition(query.where) if query.where is not None else "TRUE"
    conditions = [whole] + [
        sql.condition(query.where, replace={id(node): neutral}) for node, neutral, _up in tree
    ]
    base = _base(query, units, from_sql, conditions)
    names = [f"k{i}" for i in range(len(query.keys))]
    counts = ["count(*) FILTER (WHERE f0) AS rf"] + [
        f"count(*) FILTER (WHERE f0 <> f{i + 1}) AS a{i}" for i in range(len(tree))
    ]
    if names:
        sets = [f"({', '.join(names)})"] + [
            f"({', '.join(n for n in names if n != dropped)})" for dropped in names
        ]
        grouping = f"GROUPING({', '.join(names)}) AS g, "
        group = f" GROUP BY GROUPING SETS ({', '.join(sets)})"
    else:
        grouping, group = "0 AS g, ", ""
    text = f"WITH base AS ({base}) SELECT {', '.join(names) + ', ' if names else ''}{grouping}" \
        f"{', '.join(counts)} FROM base{group}"  # fmt: skip
    columns, rows = connect.fetch(con, text, policy, 10 * policy.max_rows + 10)
    full, slices = {}, {}
    width = len(names)
    for row in rows:
        found = dict(zip(columns, row, strict=True))
        keys = tuple(found[n] for n in names)
        if found["g"] == 0:
            full[keys] = found
        else:
            missing = next(i for i in range(width) if found["g"] >> (width - 1 - i) & 1)
            slices[(missing, tuple(k for i, k in enumerate(keys) if i != missing))] = found["rf"]
    exact: list[tuple[tuple, str, object]] = []  # (cell, "node"|"dim", index)
    for cell in cells:
        found = full.get(cell)
        if found is None:
            continue
        for i in range(len(tree)):
            if _unclear(found[f"a{i}"], cheap_rows):
                exact.append((cell, "node", i))
        for d in range(width):
            outside = slices.get((d, tuple(k for i, k in enumerate(cell) if i != d)), 0)
            if _unclear(outside - found["rf"], cheap_rows):
                exact.append((cell, "dim", d))
    queries = len({i for _c, kind, i in exact if kind == "node"})
    queries += sum(kind == "dim" for _c, kind, _i in exact)
    if queries > MAX_EXACT:
        refuse("limits.effects", "太多单元格受到只影响极少数人的条件,请改用更粗的分组或更少的条件")
    variants: dict[tuple, Variant] = {}
    node_effects: dict[int, dict] = {}
    for cell, kind, index in exact:
        if kind == "node":
            if index not in node_effects:
                node_effects[index] = _node_effects(con, policy, base, names, units, index + 1)
            continue
        effects = _dimension_effect(con, policy, base, names, units, cell, index)
        if _low(effects, policy):
            variants.setdefault(cell, Variant(cell)).widened.add(index)
    for cell in cells:
        found = full.get(cell)
        if found is None or not tree:
            continue
        # Parents first: a condition that changes fewer than k people goes with everything
        # under it (its parts are not judged on their own once it is gone). One that changes
        # no one goes too: it changes nothing, and what is under it must not be judged alone.
        gone: set[int] = set()
        for index, (node, neutral, up) in enumerate(tree):
            if up in gone:
                gone.add(index)
                continue
            rows = found[f"a{index}"]
            if rows and not _unclear(rows, cheap_rows):
                continue  # surely k people or more
            effects = node_effects[index].get(cell, [(0, 0)] * len(units)) if rows else []
            if rows and not _low(effects, policy):
                continue
            gone.add(index)
            if rows:  # disregarding it changes the cell
                variants.setdefault(cell, Variant(cell)).dropped[id(node)] = neutral
    return list(variants.values())


def _unclear(rows: int, cheap_rows: int | None) -> bool:
    """Whether a set of `rows` rows needs its units counted: none is no effect, enough rows
    surely hold k + D units (so its perturbed count cannot fall under k)."""
    if not rows or rows <= 0:
        return False
    return cheap_rows is None or rows < cheap_rows


def _low(effects: list[tuple[int, int]], policy: Policy) -> bool:
    """Any kind of unit affected, but fewer than k of them (perturbed by the set's key)."""
    p = policy.perturbation
    for count, key in effects:
        if count <= 0:
            continue
        noisy = cellkey.perturb_count(count, 1, key, noise_key=policy.noise_key + b"|effect",
                                      D=p.D, V=p.V, mu=p.mu)  # fmt: skip
        if noisy < policy.k:
            return True
    return False


def _distinct(unit: str, where: str) -> str:
    return (
        f"SELECT count(*) AS n, coalesce(sum(hash(u, 1::BIGINT)) % {cellkey.MODULUS}::HUGEINT, 0) "
        f"AS key FROM (SELECT DISTINCT {unit} AS u FROM base WHERE {where} AND {unit} IS NOT NULL)"
    )


def _node_effects(con, policy, base, names, units, flag: int) -> dict[tuple, list]:
    """Per cell: (people affected, their set's key) for each kind of unit, by one condition."""
    found: dict[tuple, list] = {}
    for t in range(len(units)):
        keys = ", ".join(names)
        select = f"{keys}, " if names else ""
        group = f" GROUP BY {keys}" if names else ""
        text = (
            f"WITH base AS ({base}) SELECT {select}count(*) AS n, "
            f"coalesce(sum(hash(u, 1::BIGINT)) % {cellkey.MODULUS}::HUGEINT, 0) AS key FROM "
            f"(SELECT DISTINCT {select}u{t} AS u FROM base WHERE f0 <> f{flag} "
            f"AND u{t} IS NOT NULL){group}"
        )
        _columns, rows = connect.fetch(con, text, policy, 10 * policy.max_rows + 10)
        for row in rows:
            cell = tuple(row[: len(names)])
            found.setdefault(cell, [(0, 0)] * len(units))[t] = (row[-2], int(row[-1]))
    return found


def _dimension_effect(con, policy, base, names, units, cell, dimension) -> list[tuple[int, int]]:
    """(people, key) per kind of unit with rows in the cell's slice along `dimension` but
    outside the cell."""
    same = [
        f"{name} IS NOT DISTINCT FROM {sql.value(value)}"
        for i, (name, value) in enumerate(zip(names, cell, strict=True))
        if i != dimension
    ]
    other = f"{names[dimension]} IS DISTINCT FROM {sql.value(cell[dimension])}"
    where = " AND ".join(["f0", *same, other])
    found = []
    for t in range(len(units)):
        _columns, rows = connect.fetch(
            con, f"WITH base AS ({base}) {_distinct(f'u{t}', where)}", policy, 1
        )
        found.append((rows[0][0], int(rows[0][1])))
    return found
