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

    `cheap_rows`: a row count at which a set surely holds k + D units (None: always count).
    How many statements run, and how many rows each returns, depend on the query and on
    `cells` only — never on how many cells turn out to need an exact count (a limit on that
    would itself say something about the people near a cut)."""
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
    width = len(names)
    if names:
        _want(con, names, cells)
    full, slices = _counts(con, policy, base, names, tree, len(cells))
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
    variants: dict[tuple, Variant] = {}
    node_effects: dict[int, dict] = {}
    dimension_effects: dict[int, dict] = {}
    for cell, kind, index in exact:
        if kind == "node":
            if index not in node_effects:
                node_effects[index] = _node_effects(
                    con, policy, base, names, units, index + 1, len(cells)
                )
            continue
        if index not in dimension_effects:
            dimension_effects[index] = _dimension_effects(
                con, policy, base, names, units, index, len(cells)
            )
        effects = dimension_effects[index].get(cell, [(0, 0)] * len(units))
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


def _want(con, names: list[str], cells: list[tuple]) -> None:
    """The cells asked about, as a table the detection's statements join to, so each returns
    rows for those cells only (at most as many as there are)."""
    import pyarrow as pa

    columns = list(zip(*cells, strict=True)) if cells else [()] * len(names)
    con.register("wanted", pa.table({n: list(c) for n, c in zip(names, columns, strict=True)}))


def _match(names: list[str], left: str, right: str, skip: str | None = None) -> str:
    same = [f"{left}.{n} IS NOT DISTINCT FROM {right}.{n}" for n in names if n != skip]
    return " AND ".join(same) or "TRUE"


def _counts(con, policy, base, names, tree, many: int) -> tuple[dict, dict]:
    """Per wanted cell, its rows (rf) and the rows each condition changes (a{i}); per slice of
    a wanted cell along each dimension, its rows."""
    counts = ["count(*) FILTER (WHERE f0) AS rf"] + [
        f"count(*) FILTER (WHERE f0 <> f{i + 1}) AS a{i}" for i in range(len(tree))
    ]
    width = len(names)
    if not names:
        text = f"WITH base AS ({base}) SELECT 0 AS g, {', '.join(counts)} FROM base"
        _columns, rows = connect.fetch(con, text, policy, 1)
        return {(): dict(zip(_columns, rows[0], strict=True))}, {}
    sets = [f"({', '.join(names)})"] + [
        f"({', '.join(n for n in names if n != dropped)})" for dropped in names
    ]
    grouped = (
        f"SELECT {', '.join(names)}, GROUPING({', '.join(names)}) AS g, {', '.join(counts)} "
        f"FROM base GROUP BY GROUPING SETS ({', '.join(sets)})"
    )
    # The whole cells asked about, and the slices they lie in (one per dimension).
    parts = [f"SELECT gs.* FROM gs SEMI JOIN wanted w ON gs.g = 0 AND {_match(names, 'gs', 'w')}"]
    for d, name in enumerate(names):
        bit = 1 << (width - 1 - d)
        parts.append(
            f"SELECT gs.* FROM gs SEMI JOIN wanted w ON gs.g = {bit} AND "
            f"{_match(names, 'gs', 'w', skip=name)}"
        )
    text = f"WITH base AS ({base}), gs AS ({grouped}) " + " UNION ALL ".join(parts)
    columns, rows = connect.fetch(con, text, policy, many * (1 + width) + 1)
    full, slices = {}, {}
    for row in rows:
        found = dict(zip(columns, row, strict=True))
        keys = tuple(found[n] for n in names)
        if found["g"] == 0:
            full[keys] = found
        else:
            missing = next(i for i in range(width) if found["g"] >> (width - 1 - i) & 1)
            slices[(missing, tuple(k for i, k in enumerate(keys) if i != missing))] = found["rf"]
    return full, slices


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


def _node_effects(con, policy, base, names, units, flag: int, many: int) -> dict[tuple, list]:
    """Per wanted cell: (people affected, their set's key) for each kind of unit, by one
    condition."""
    found: dict[tuple, list] = {}
    for t in range(len(units)):
        keys = ", ".join(names)
        select = f"{keys}, " if names else ""
        group = f" GROUP BY {keys}" if names else ""
        wanted = f" SEMI JOIN wanted w ON {_match(names, 'x', 'w')}" if names else ""
        text = (
            f"WITH base AS ({base}) SELECT {select}count(*) AS n, "
            f"coalesce(sum(hash(u, 1::BIGINT)) % {cellkey.MODULUS}::HUGEINT, 0) AS key FROM "
            f"(SELECT DISTINCT {select}u{t} AS u FROM base WHERE f0 <> f{flag} "
            f"AND u{t} IS NOT NULL) x{wanted}{group}"
        )
        _columns, rows = connect.fetch(con, text, policy, many + 1)
        for row in rows:
            cell = tuple(row[: len(names)])
            found.setdefault(cell, [(0, 0)] * len(units))[t] = (row[-2], int(row[-1]))
    return found


def _dimension_effects(con, policy, base, names, units, dimension, many) -> dict[tuple, list]:
    """Per wanted cell: (people, key) per kind of unit with rows in the cell's slice along
    `dimension` but outside the cell — every cell in one statement per kind of unit: the
    slice's people less those whose only value along `dimension` is the cell's."""
    key = names[dimension]
    others = [n for n in names if n != key] + ["0 AS z"]
    by = ", ".join(n.split(" AS ")[-1] for n in others)
    plain = [n for n in names if n != key]
    on_slice = " AND ".join([f"s.{n} IS NOT DISTINCT FROM w.{n}" for n in plain] or ["TRUE"])
    on_alone = " AND ".join(
        [f"a.{n} IS NOT DISTINCT FROM w.{n}" for n in plain]
        + [f"a.sole IS NOT DISTINCT FROM w.{key}"]
    )
    modulus = f"{cellkey.MODULUS}::HUGEINT"
    found: dict[tuple, list] = {}
    for t in range(len(units)):
        text = (
            f"WITH base AS ({base}), "
            f"per AS (SELECT {', '.join(others)}, u{t} AS u, count(DISTINCT {key}) + "
            f"max(CASE WHEN {key} IS NULL THEN 1 ELSE 0 END) AS nv, max({key}) AS sole "
            f"FROM base WHERE f0 AND u{t} IS NOT NULL GROUP BY {by}, u{t}), "
            f"slice AS (SELECT {by}, count(*) AS n, sum(hash(u, 1::BIGINT)) AS h "
            f"FROM per GROUP BY {by}), "
            f"alone AS (SELECT {by}, sole, count(*) AS n, sum(hash(u, 1::BIGINT)) AS h "
            f"FROM per WHERE nv = 1 GROUP BY {by}, sole) "
            f"SELECT {', '.join(f'w.{n}' for n in names)}, "
            f"coalesce(s.n, 0) - coalesce(a.n, 0) AS n, "
            f"(coalesce(s.h, 0) - coalesce(a.h, 0)) % {modulus} AS key "
            f"FROM wanted w LEFT JOIN slice s ON {on_slice} LEFT JOIN alone a ON {on_alone}"
        )
        _columns, rows = connect.fetch(con, text, policy, many + 1)
        for row in rows:
            cell = tuple(row[: len(names)])
            found.setdefault(cell, [(0, 0)] * len(units))[t] = (row[-2], int(row[-1]))
    return found
