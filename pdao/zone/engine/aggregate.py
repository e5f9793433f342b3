"""The aggregate form: one scan per answer, then disclosure control on the cells.

The generated SQL groups the filtered rows by (keys, unit) — each person's contribution to
every measure — and then by keys alone, so one pass gives, per cell and per kind of unit: the
number of units, each measure's total, the largest contribution, the top contributions for the
dominance rules and the cell keys (`cellkey.py`). Cells with fewer than k − D − 1 units (one
short of any the perturbation could release) never leave DuckDB. A table with one row per
unit skips the first grouping. A table declared non-personal is answered exactly.

Then, in order: the k threshold again on the perturbed unit count of every kind of unit (so
whether a cell near k appears is itself noisy), dominance ((n, k) and p% rules, on every kind
of unit's contributions), the perturbation of every measure, arithmetic over the protected
measures, HAVING, ORDER BY and LIMIT.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date, datetime

from pdao.zone.engine import cellkey, connect, history, led, sql
from pdao.zone.engine import model as m
from pdao.zone.engine.errors import refuse
from pdao.zone.engine.types import Policy, unit_key_column

M = f"{cellkey.MODULUS}::HUGEINT"


@dataclass
class _Input:
    """A column a measure reads, once per query: counted, summed, or both."""

    col: m.Col
    clamp: tuple[float, float] | None
    count: bool = False
    sum: bool = False


@dataclass
class _Unit:
    """One kind of privacy unit in the query: a table's unit column (two for a join)."""

    alias: str
    table: str
    column: str
    key: str  # SQL of its key column


def _inputs(query: m.Query, policy: Policy) -> list[_Input]:
    found: dict[tuple, _Input] = {}
    for measure in query.measures:
        if measure.col is None or measure.kind == "units":
            continue
        table = policy.tables[measure.col.table]
        clamp = table.bounds.get(measure.col.name) if table.personal else None
        item = found.setdefault((measure.col, clamp), _Input(measure.col, clamp))
        if measure.kind == "count_col":
            item.count = True
        if measure.kind in ("sum", "avg"):
            item.sum = item.count = True
    return list(found.values())


def _value_sql(item: _Input) -> str:
    c = sql.column(item.col)
    if not item.sum:
        return c
    if item.clamp is None:
        return f"CAST({c} AS DOUBLE)"
    low, high = (sql.value(float(x)) for x in item.clamp)
    return f"least(greatest(CAST({c} AS DOUBLE), {low}), {high})"


def units_of(query: m.Query, policy: Policy) -> list[_Unit]:
    found = []
    for source in query.sources:
        table = policy.tables[source.name]
        for index, column in enumerate(table.units):
            key = f"{sql.ident(source.alias)}.{sql.ident(unit_key_column(index))}"
            found.append(_Unit(source.alias, source.name, column, key))
    return found


def from_clause(query: m.Query) -> str:
    first = query.sources[0]
    text = f"{sql.ident('v0')} AS {sql.ident(first.alias)}"
    if query.join is not None:
        second = query.sources[1]
        kind = "LEFT JOIN" if query.join.kind == "left" else "JOIN"
        on = f"{sql.column(query.join.left)} = {sql.column(query.join.right)}"
        text += f" {kind} {sql.ident('v1')} AS {sql.ident(second.alias)} ON {on}"
    return text


def views(query: m.Query, policy: Policy, extra: dict[str, set] | None = None) -> dict:
    """The columns each table's view exposes: those the query reads, its join key, its keys."""
    used: dict[str, set[str]] = {s.name: set() for s in query.sources}
    for table, column in query.used:
        used[table].add(column)
    if query.join is not None:
        used[query.join.left.table].add(query.join.left.name)
        used[query.join.right.table].add(query.join.right.name)
    for table, columns in (extra or {}).items():
        used[table] |= columns
    return {
        f"v{i}": (policy.tables[s.name], connect.view_columns(policy.tables[s.name], used[s.name]))
        for i, s in enumerate(query.sources)
    }


def unit_hash(unit: str, contribution: str, *, whole: bool = False) -> str:
    """A unit's hash for one number: of (unit key, contribution as a double, rounded to four
    places), so that a count and a sum of ones, or a column and its copy, hash alike
    (history.py). `whole`: the contribution is a count (a whole number: nothing to round)."""
    if contribution == "1":
        return f"hash({unit}, 1.0::DOUBLE)"
    if whole:
        return f"hash({unit}, CAST({contribution} AS DOUBLE))"
    return f"hash({unit}, round(CAST({contribution} AS DOUBLE), 4))"


def _codes(column: str, name: str) -> str:
    """The smallest of each bucket's smallest unit key among a number's contributors, at most
    CODES of them (history.py: two sets fewer than CODES people apart share one)."""
    return (
        f"list_slice(list_sort(list({column}) FILTER (WHERE {column} IS NOT NULL)), "
        f"1, {history.CODES}) AS {name}"
    )


def _generate(query: m.Query, policy: Policy, units: list[_Unit], inputs: list[_Input],
              fast: bool, where_sql: str | None = None) -> str:  # fmt: skip
    keys = [f"{sql.operand(k)} AS k{i}" for i, k in enumerate(query.keys)]
    key_names = [f"k{i}" for i in range(len(query.keys))]
    values = [f"{_value_sql(item)} AS x{j}" for j, item in enumerate(inputs)]
    unit_cols = [f"{u.key} AS u{i}" for i, u in enumerate(units)]
    if where_sql is None and query.where is not None:
        where_sql = sql.condition(query.where)
    where = f" WHERE {where_sql}" if where_sql else ""
    base = (
        f"SELECT {', '.join([*keys, *unit_cols, *values]) or '1 AS one'} "
        f"FROM {from_clause(query)}{where}"
    )
    group = f" GROUP BY {', '.join(key_names)}" if key_names else ""
    if not units:  # non-personal: exact
        measures = ["count(*) AS rows"]
        for j, item in enumerate(inputs):
            measures.append(f"count(x{j}) AS n{j}")
            if item.sum:
                measures.append(f"sum(x{j}) AS s{j}")
        return f"WITH base AS ({base}) SELECT {', '.join([*key_names, *measures])} FROM base{group}"
    n = max(1, int(policy.dominance_n))
    # Cells are read down to one person short of any the perturbation could release (k − D − 1
    # in truth): a cell one person from being releasable is then answered too — left out, and
    # remembered, so its neighbour with one more person agrees with it (a cut at k in truth
    # would tell whether a cell of k holds the one person who makes it k).
    floor = read_down_to(policy)
    ctes = [f"base AS ({base})"]
    selects = []
    for i, _unit in enumerate(units):
        by = ", ".join([*key_names, "b"])
        if fast:  # one row per unit: each row is a unit's whole contribution
            per = ["1::BIGINT AS r"]
            for j, item in enumerate(inputs):
                per.append(f"CASE WHEN x{j} IS NULL THEN 0 ELSE 1 END::BIGINT AS n{j}")
                if item.sum:
                    per.append(f"x{j} AS s{j}")
            ctes.append(f"per{i} AS (SELECT {', '.join([*key_names, 'u0 AS u', *per])} FROM base)")
        else:
            per = ["count(*) AS r"]
            for j, item in enumerate(inputs):
                per.append(f"count(x{j}) AS n{j}")
                if item.sum:
                    per.append(f"sum(x{j}) AS s{j}")
            ctes.append(
                f"per{i} AS (SELECT {', '.join([*key_names, f'u{i} AS u', *per])} FROM base "
                f"GROUP BY {', '.join([*key_names, f'u{i}'])})"
            )
        # Each unit's contribution to each number, summed per bucket of unit keys (the
        # register's sketch, history.py) and then per cell; one pass over the units.
        buckets = [
            f"CAST(u % {history.BUCKETS} AS UTINYINT) AS b",
            "count(*) AS units",
            f"sum({unit_hash('u', '1')}) AS hp",
            "min(u) AS cp",
            "sum(r) AS rows",
            "max(r) AS rmax",
            f"sum({unit_hash('u', 'r', whole=True)}) AS hr",
        ]
        cells = [
            "sum(units) AS units{i}",
            f"sum(hp) % {M} AS ukey{i}",
            "list(b ORDER BY b) AS bs{i}",
            f"list(hp % {M} ORDER BY b) AS hp{i}",
            _codes("cp", f"cp{i}"),
            "max(rmax) AS rmax{i}",
            f"sum(hr) % {M} AS rkey{i}",
            f"list(hr % {M} ORDER BY b) AS hr{i}",
        ]
        if i == 0:
            cells.append("sum(rows) AS rows")
        for j, item in enumerate(inputs):
            has = f"FILTER (WHERE n{j} > 0)"
            buckets += [
                f"sum(n{j}) AS n{j}",
                f"max(n{j}) AS nmax{j}",
                f"count(*) {has} AS nn{j}",
                f"sum({unit_hash('u', f'n{j}', whole=True)}) {has} AS hn{j}",
                f"sum({unit_hash('u', '1')}) {has} AS hnn{j}",
                f"min(u) {has} AS cn{j}",
            ]
            cells += [
                f"max(nmax{j}) AS nmax{j}_{i}",
                f"sum(nn{j}) AS nn{j}_{i}",
                f"coalesce(sum(hnn{j}) % {M}, 0) AS nnkey{j}_{i}",
                f"coalesce(sum(hn{j}) % {M}, 0) AS nkey{j}_{i}",
                f"list(coalesce(hn{j} % {M}, 0) ORDER BY b) AS hn{j}_{i}",
                _codes(f"cn{j}", f"cn{j}_{i}"),
            ]
            if i == 0:
                cells.append(f"sum(n{j}) AS n{j}")
            if item.sum:
                nonzero = f"FILTER (WHERE s{j} <> 0)"
                buckets += [
                    f"sum(s{j}) AS s{j}",
                    f"max(abs(s{j}), {n}) AS top{j}",
                    f"sum(abs(s{j})) AS abs{j}",
                    f"count(*) {nonzero} AS nz{j}",
                    f"sum({unit_hash('u', f's{j}')}) {nonzero} AS hs{j}",
                    f"sum({unit_hash('u', '1')}) {nonzero} AS hnz{j}",
                    f"min(u) {nonzero} AS cs{j}",
                ]
                cells += [
                    f"list_slice(list_reverse_sort(flatten(list(top{j}) FILTER "
                    f"(WHERE top{j} IS NOT NULL))), 1, {n}) AS top{j}_{i}",
                    f"sum(abs{j}) AS abs{j}_{i}",
                    f"sum(nz{j}) AS nz{j}_{i}",
                    f"coalesce(sum(hnz{j}) % {M}, 0) AS nzkey{j}_{i}",
                    f"coalesce(sum(hs{j}) % {M}, 0) AS skey{j}_{i}",
                    f"list(coalesce(hs{j} % {M}, 0) ORDER BY b) AS hs{j}_{i}",
                    _codes(f"cs{j}", f"cs{j}_{i}"),
                ]
                if i == 0:
                    cells.append(f"sum(s{j}) AS s{j}")
        cells = [c.replace("{i}", str(i)) for c in cells]
        ctes.append(
            f"bk{i} AS (SELECT {', '.join([*key_names, *buckets])} FROM per{i} GROUP BY {by})"
        )
        ctes.append(
            f"cell{i} AS (SELECT {', '.join([*key_names, *cells])} FROM bk{i}{group} "
            f"HAVING sum(units) >= {floor})"
        )
        selects.append(f"cell{i}")
    joined = selects[0]
    for i in range(1, len(selects)):
        on = " AND ".join(f"cell0.{c} IS NOT DISTINCT FROM cell{i}.{c}" for c in key_names)
        joined += f" JOIN cell{i} ON {on or 'TRUE'}"
    columns = [f"cell0.{c}" for c in key_names] + [
        f"{s}.* EXCLUDE ({', '.join(key_names)})" if key_names else f"{s}.*" for s in selects
    ]
    return f"WITH {', '.join(ctes)} SELECT {', '.join(columns)} FROM {joined}"


def answer(query: m.Query, policy: Policy) -> dict:
    tables = [policy.tables[s.name] for s in query.sources]
    units = units_of(query, policy)
    inputs = _inputs(query, policy)
    fast = len(units) == 1 and query.join is None and connect.one_row_per_unit(tables[0])
    # How many cells the answer may have is decided before the data is read, from declared
    # metadata and the table's size (a cap on the cells the data holds would answer "is this
    # one person there?" at its edge); the cap on the output applies to what protection
    # released, which is the answer's own business.
    limit = policy.max_rows
    if units:
        limit = _cells_at_most(query, policy, tables)
        if limit is None or limit > policy.max_rows * FETCH_FACTOR:
            refuse(
                "limits.rows",
                f"分组可能多于 {policy.max_rows * FETCH_FACTOR:,} 个(按声明的取值集合、区段和"
                "表的行数估计，不看数据)：请按声明了取值集合的列分组，或用更宽的区段、更粗的分组",
            )
    con = connect.connect(policy, views(query, policy))
    try:
        names, raw = connect.fetch(
            con, _generate(query, policy, units, inputs, fast), policy, limit
        )
        asked = raw  # the cells as asked: whether each shows is decided on these
        if units and raw:
            raw = _low_effects(query, policy, con, units, inputs, fast, names, raw, tables)
    finally:
        con.close()
    result = _protect(query, policy, units, inputs, names, raw, tables, asked)
    if len(result["rows"]) > policy.max_rows:
        refuse("limits.rows", f"结果超过 {policy.max_rows:,} 行，请增加筛选或使用更粗的分组")
    return result


def read_down_to(policy: Policy) -> int:
    """The fewest people in truth a cell is read from DuckDB with: one short of any the
    perturbation could release (k − D − 1)."""
    return max(1, int(policy.k) - int(policy.perturbation.D) - 1)


# Cells read before protection, as a multiple of the rows an answer may show.
FETCH_FACTOR = 5
_PARTS = {"quarter": 4, "month": 12, "day": 31, "hour": 24, "dayofweek": 7, "dow": 7,
          "isodow": 7, "week": 53}  # fmt: skip
# Date keys by the span of the column in the version: days, months and years it covers.
_SPANS = {"day": "days", "week": "weeks", "month": "months", "quarter": "quarters",
          "year": "years", "%Y-%m-%d": "days", "%Y-%m": "months", "%Y%m": "months",
          "%Y": "years"}  # fmt: skip


def _cells_at_most(query: m.Query, policy: Policy, tables) -> int | None:
    """An upper bound on the cells an answer over personal data can have, from declared
    metadata and table sizes only — never from the rows a query selects: the product of the
    keys' declared domains (value sets, fixed date parts, CASE labels, bands over a declared
    range), and, on one table, its rows over the fewest people a cell is read with (so as many
    rows). None when neither bounds it."""
    domain = 1
    for key in query.keys:
        size = _domain_size(key, policy)
        if size is None:
            domain = None
            break
        domain *= size
    by_rows = None
    if query.join is None:
        by_rows = connect.facts(tables[0])["rows"] // read_down_to(policy) + 1
    if domain is None:
        return by_rows
    return domain if by_rows is None else min(domain, by_rows)


def _domain_size(key: m.Operand, policy: Policy) -> int | None:
    """How many values a group key can take (NULL included), from what is declared about its
    column — value sets, ranges — or fixed by the key (a month is one of twelve), or for a
    date by the span of the column in the version; None when nothing bounds it."""
    table = policy.tables[key.col.table]
    name = key.col.name
    if key.fn is None and name in table.categories:
        return len(table.categories[name]) + 1
    if key.fn is None and key.col.type == "BOOLEAN":
        return 3
    if key.fn == "part" and key.arg in _PARTS:
        return _PARTS[key.arg] + 1
    if key.fn == "case":
        return len(key.arg[0]) + 2 if isinstance(key.arg, tuple) and key.arg else None
    if key.fn in ("band", "div") and name in table.bounds and key.arg:
        low, high = table.bounds[name]
        return int((float(high) - float(low)) // float(key.arg)) + 3
    unit = {None: "day", "part": key.arg, "trunc": key.arg, "format": key.arg}.get(key.fn)
    if key.col.type == "DATE" and _SPANS.get(unit):
        span = connect.extent(table, name)
        if span is not None:
            return _span(span[0], span[1], _SPANS[unit]) + 2
    return None


def _span(low: date, high: date, unit: str) -> int:
    months = (high.year - low.year) * 12 + high.month - low.month
    return {
        "days": (high - low).days,
        "weeks": (high - low).days // 7 + 1,
        "months": months,
        "quarters": months // 3 + 1,
        "years": high.year - low.year,
    }[unit]


def _low_effects(query, policy, con, units, inputs, fast, names, raw, tables) -> list:
    """Cells in which a condition (or a key value) changes fewer than k people are computed
    again without it (led.py says why)."""
    width = len(query.keys)
    cells = [tuple(row[:width]) for row in raw]
    cheap = None
    if query.join is None and len(units) == 1:
        most = connect.facts(tables[0])["max_rows_per_unit"]
        cheap = (policy.k + policy.perturbation.D) * max(1, most) if most > 0 else None
    variants = led.detect(query, policy, con, units, from_clause(query), cells, cheap)
    if not variants:
        return raw
    single = dataclasses.replace(query, keys=())
    again = {}
    for variant in variants:
        parts = []
        if query.where is not None:
            parts.append(sql.condition(query.where, replace=variant.dropped))
        for i, key in enumerate(query.keys):
            if i not in variant.widened:
                parts.append(
                    f"{sql.operand(key)} IS NOT DISTINCT FROM {sql.value(variant.keys[i])}"
                )
        text = _generate(single, policy, units, inputs, fast, " AND ".join(parts) or "TRUE")
        columns, rows = connect.fetch(con, text, policy, 1)
        if rows:
            found = dict(zip(columns, rows[0], strict=True))
            again[variant.keys] = tuple(
                variant.keys[int(n[1:])] if n in names[:width] else found[n] for n in names
            )
    return [again.get(tuple(row[:width]), row) for row in raw]


def _protect(query, policy, units, inputs, names, raw, tables, asked=None) -> dict:
    p = policy.perturbation
    found = [dict(zip(names, row, strict=True)) for row in raw]
    asked = [dict(zip(names, row, strict=True)) for row in (asked or raw)]
    remember = None
    if not units:
        index_of = {(i.col.table, i.col.name, i.col.alias): j for j, i in enumerate(inputs)}
        released = [
            (_keys(query, r), [_exact(measure, r, index_of) for measure in query.measures], [])
            for r in found
        ]
        reasons, flips = [], 0
    else:
        released, reasons, remember, flips = _perturbed(query, policy, units, inputs, found, asked)
    suppressed, cells = len(reasons), []
    near = len([v for v in remember["values"] if not v["fresh"]]) if remember else 0
    # Groups left out whole (fewer than k people, or so after perturbation) are neither
    # counted nor named: their number would say how many small groups there are.
    rows = []
    for keys, values, counted in released:
        out = [_evaluate(o.expr, keys, values) for o in query.outputs]
        if query.having is not None and not _holds(query.having, keys, values):
            continue
        rows.append((out, keys, values, counted))
    for order in reversed(query.order):
        rows.sort(key=lambda x, o=order: _sortable(_evaluate(o.expr, x[1], x[2]), o.desc),
                  reverse=order.desc)  # fmt: skip
    if query.offset or query.limit is not None:
        end = None if query.limit is None else query.offset + query.limit
        rows = rows[query.offset : end]
    for _out, keys, _values, counted in rows:
        least = min(counted) if counted and None not in counted else None
        for measure in query.measures:
            cells.append((query.sources[0].name, measure.label, [str(k) for k in keys], least))
    notes = ["少于 k 个隐私单元的分组不输出。"]
    if units:
        notes.append(
            f"结果经单元格键扰动（cell key method）：计数在 ±{p.D} 以内扰动(方差 {p.V:g}),"
            f"求和按该单元格最大个体贡献的 {p.mu:g} 倍尺度扰动，平均值为扰动后的和除以扰动后"
            "的计数；同一单元格每次得到相同的扰动。"
        )
        if policy.history is not None:
            notes.append(
                f"与此前输出的数值相比，贡献者相差不足 {policy.k} 人的数值沿用此前的输出。"
            )
    else:
        notes.append("数据表声明为非个人数据，结果为精确值。")
    return {
        "columns": [o.name for o in query.outputs],
        "rows": [out for out, *_rest in rows],
        "suppressed_cells": suppressed,
        "suppression": reasons[:200],
        "notes": notes,
        "cells": cells,
        "remember": remember,
        "near": near,
        "flips": flips,
        "epsilon_left": policy.epsilon_left,
    }


def _keys(query: m.Query, r: dict) -> list:
    return [_plain(r[f"k{i}"]) for i in range(len(query.keys))]


def _perturbed(query, policy, units, inputs, found, asked) -> tuple[list, list, dict | None, int]:
    """Each cell's numbers perturbed (cellkey.py), or suppressed; then, with the register, each
    number within fewer than k people of a remembered one given that one's value (history.py);
    cells whose count of people is below k after that are left out."""
    p = policy.perturbation
    noise = {"noise_key": policy.noise_key, "D": p.D, "V": p.V, "mu": p.mu}
    index_of = {(i.col.table, i.col.name, i.col.alias): j for j, i in enumerate(inputs)}
    unit_index = {(u.alias, u.column): i for i, u in enumerate(units)}
    register = policy.history is not None
    family = history.family(query, policy, units)
    kinds = tuple(range(len(units)))
    wanted = {m_.kind for m_ in query.measures}
    cells = []
    for r, a in zip(found, asked, strict=True):
        keys = _keys(query, r)
        # The cell as asked, before low-effect detection widened it: its own perturbed count
        # of people decides whether it shows (a widened cell of five would show on its
        # slice's people, and a cell of four is never read: the fifth attack's oracle).
        own = [cellkey.perturb_count(a[f"units{i}"], 1, a[f"ukey{i}"], **noise) for i in kinds]
        where = "/".join("∅" if v is None else str(v) for v in keys) or "合计"
        numbers: dict[str, history.Number] = {}
        why: dict[str, str] = {}
        for i in kinds:
            numbers[f"u{i}"] = history.Number(
                history.scoped(family, (i,)),
                _parts(r, "units{i}", "ukey{i}", "hp{i}", "cp{i}", (i,)),
                cellkey.perturb_count(r[f"units{i}"], 1, r[f"ukey{i}"], **noise),
            )
        if "count" in wanted:
            largest = max(r[f"rmax{i}"] for i in kinds)
            key = sum(int(r[f"rkey{i}"]) for i in kinds)
            numbers["rows"] = history.Number(
                history.scoped(family, kinds),
                _parts(r, "units{i}", "rkey{i}", "hr{i}", "cp{i}", kinds),
                cellkey.perturb_count(r["rows"], largest, key, **noise),
            )
        for j, item in enumerate(inputs):
            label = next(
                m_.label
                for m_ in query.measures
                if m_.col is not None
                and (m_.col.table, m_.col.name, m_.col.alias)
                == (item.col.table, item.col.name, item.col.alias)
            )
            # A count of values or a sum is about the people who have one (or a non-zero one):
            # fewer than k of them and it is about those few, whatever the cell's size.
            few = _few(r, "nn", j, len(kinds), policy, noise)
            counted = None if few else _count(r, j, len(kinds), noise)
            if few:
                why[f"n{j}"] = f"{where}「{label}」：有取值的隐私单元少于 {policy.k} 个"
            numbers[f"n{j}"] = history.Number(
                history.scoped(family, kinds),
                _parts(r, f"nn{j}_{{i}}", f"nkey{j}_{{i}}", f"hn{j}_{{i}}", f"cn{j}_{{i}}", kinds),
                counted,
            )
            if not item.sum:
                continue
            total = None
            reason = why.get(f"n{j}") or (
                f"{where}「{label}」：有非零取值的隐私单元少于 {policy.k} 个"
                if _few(r, "nz", j, len(kinds), policy, noise)
                else ""
            )
            if not reason:
                dominated = _dominated(r, j, len(kinds), policy)
                reason = f"{where}「{label}」：{dominated}" if dominated else ""
            if reason:
                why[f"s{j}"] = reason
            else:
                largest = max((r[f"top{j}_{i}"] or [0])[0] for i in kinds)
                key = sum(int(r[f"skey{j}_{i}"]) for i in kinds)
                total = cellkey.perturb_sum(r[f"s{j}"] or 0.0, largest, key, **noise)
            numbers[f"s{j}"] = history.Number(
                history.scoped(family + "|sum", kinds),  # never a count's value
                _parts(r, f"nz{j}_{{i}}", f"skey{j}_{{i}}", f"hs{j}_{{i}}", f"cs{j}_{{i}}", kinds),
                total,
            )
        cells.append((keys, r, numbers, why, own))
    # First the counts of people (a cell below k is left out), then the rest of the cells kept.
    people = [
        n for _k, _r, numbers, _w, _o in cells for name, n in numbers.items() if name[0] == "u"
    ]
    _agree(people, policy, register)

    # A cell shows when its own perturbed count of people, as asked, reaches k (the cell key
    # method's threshold) and so does the count the register agreed: a cell of a few people
    # never shows on the number of a larger set it lies within (the fourth attack) or of the
    # slice it was widened to (the fifth). Near k, whether a cell shows stays a perturbed
    # decision (docs/zone.md, thresholds near k).
    def shown(cell) -> bool:
        agreed = [cell[2][f"u{i}"].agreed for i in kinds]
        return min(cell[4]) >= policy.k and min(agreed) >= policy.k

    kept = [c for c in cells if shown(c)]
    left_out = [c for c in cells if not shown(c)]
    for cell in cells:
        cell[2]["u0"].shown = shown(cell)
    # Cells one or a few people from a remembered one whose showing differs: what a pair built
    # around k tells (for the supervisor's rule; the engine cannot hide it, docs/zone.md).
    flips = sum(1 for cell in cells if cell[2]["u0"].flipped)
    rest = [n for _k, _r, numbers, _w, _o in kept for name, n in numbers.items() if name[0] != "u"]
    _agree(rest, policy, register, before=people)
    released, reasons, remember = [], [], []
    for keys, r, numbers, why, _own in kept:
        values = []
        where = "/".join("∅" if v is None else str(v) for v in keys) or "合计"
        for measure in query.measures:
            if measure.kind == "units":
                kind = unit_index[(measure.col.alias, measure.col.name)]
                values.append(numbers[f"u{kind}"].agreed)
                continue
            if measure.kind == "count":
                values.append(numbers["rows"].agreed)
                continue
            j = index_of[(measure.col.table, measure.col.name, measure.col.alias)]
            count = numbers[f"n{j}"].agreed
            if measure.kind == "count_col":
                values.append(count)
                if count is None and not register:
                    reasons.append(why.get(f"n{j}", ""))
                continue
            total = numbers[f"s{j}"].agreed
            if total is None or count is None:
                values.append(None)
                if not register:
                    reasons.append(why.get(f"s{j}") or why.get(f"n{j}") or "")
            elif measure.kind == "sum":
                values.append(_money(total, measure.col.type))
            else:
                values.append(round(total / count, 4) if count > 0 else None)
        released.append((keys, values, [r.get(f"units{i}") for i in kinds]))
        if register:
            remember += [n.remember() for n in numbers.values() if n.new]
            # A value may be another answer's: say only which cell is withheld, not why.
            reasons += [
                f"{where}「{measure.label}」：已抑制"
                for measure, value in zip(query.measures, values, strict=True)
                if value is None
            ]
    if register:  # a cell left out is an answer too: its count of people is remembered
        remember += [
            n.remember() for _k, _r, numbers, _w, _o in left_out
            for name, n in numbers.items() if name[0] == "u" and n.new
        ]  # fmt: skip
    return released, reasons, ({"family": family, "values": remember} if remember else None), flips


def _parts(r: dict, contributors: str, key: str, hashes: str, codes: str, kinds) -> list:
    """A number's parts per kind of unit, from the columns named by the templates."""
    return [
        history.part(r[contributors.format(i=i)], r[key.format(i=i)], r[f"bs{i}"],
                     r[hashes.format(i=i)], r[codes.format(i=i)])
        for i in kinds
    ]  # fmt: skip


def _agree(numbers: list, policy: Policy, register: bool, before: list = ()) -> None:
    if register and numbers:
        history.agree(numbers, policy, before)
        return
    for number in numbers:
        number.agreed, number.fresh, number.apart = number.value, True, None


def _count(r: dict, j: int, kinds: int, noise: dict) -> int:
    largest = max(r[f"nmax{j}_{i}"] or 0 for i in range(kinds))
    key = sum(int(r[f"nkey{j}_{i}"]) for i in range(kinds))
    return cellkey.perturb_count(r[f"n{j}"] or 0, largest, key, **noise)


def _few(r: dict, prefix: str, j: int, kinds: int, policy: Policy, noise: dict) -> bool:
    """Fewer than k people with a value (nn) or a non-zero value (nz), perturbed, in any kind."""
    for i in range(kinds):
        people = r.get(f"{prefix}{j}_{i}")
        if people is None:
            continue
        key = int(r[f"{prefix}key{j}_{i}"])
        if cellkey.perturb_count(people, 1, key, **noise) < policy.k:
            return True
    return False


def _dominated(r: dict, j: int, kinds: int, policy: Policy) -> str:
    """(n, k) dominance and the p% rule on each kind of unit's contributions."""
    n = max(1, int(policy.dominance_n))
    for i in range(kinds):
        total, top = r[f"abs{j}_{i}"] or 0.0, r[f"top{j}_{i}"] or []
        if not total:
            continue
        first, leading = (top[0] if top else 0.0), sum(top[:n])
        if leading / total > policy.dominance_k:
            return f"前 {n} 个单元占合计 {policy.dominance_k:.0%} 以上（优势规则）"
        if total - leading < policy.p_ratio * first:
            return f"其余单元合计不足最大单元的 {policy.p_ratio:.0%}（p% 规则）"
    return ""


def _exact(measure: m.Measure, r: dict, index_of: dict):
    if measure.kind == "count":
        return r["rows"]
    j = index_of[(measure.col.table, measure.col.name, measure.col.alias)]
    if measure.kind == "count_col":
        return r[f"n{j}"]
    if measure.kind == "sum":
        return r[f"s{j}"]
    count = r[f"n{j}"]
    return r[f"s{j}"] / count if count else None


def _money(total: float, duck_type: str):
    if duck_type.upper() in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT"):
        return round(total)
    return round(total, 2)


def _plain(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def evaluate(expr, keys: list, values: list):
    return _evaluate(expr, keys, values)


def _evaluate(expr, keys: list, values: list):
    """The expression's value on one released row; arithmetic without a finite answer (a
    division by zero, an overflow to infinity) is null, never an error."""
    value = _compute(expr, keys, values)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _compute(expr, keys: list, values: list):
    if isinstance(expr, m.KeyRef):
        return keys[expr.index]
    if isinstance(expr, m.MeasureRef):
        return values[expr.index]
    if isinstance(expr, m.Const):
        return expr.value
    if isinstance(expr, m.Round):
        inner = _evaluate(expr.expr, keys, values)
        if not isinstance(inner, int | float):
            return None
        rounded = round(float(inner), expr.digits)
        return int(rounded) if expr.digits <= 0 else rounded
    if isinstance(expr, m.Arith):
        a, b = _evaluate(expr.left, keys, values), _evaluate(expr.right, keys, values)
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            return None
        if expr.op == "+":
            return a + b
        if expr.op == "-":
            return a - b
        if expr.op == "*":
            return a * b
        return a / b if b else None
    return None


def _holds(condition, keys, values) -> bool:
    if isinstance(condition, m.And):
        return all(_holds(c, keys, values) for c in condition.items)
    if isinstance(condition, m.Or):
        return any(_holds(c, keys, values) for c in condition.items)
    if isinstance(condition, m.Not):
        return not _holds(condition.item, keys, values)
    left = _evaluate(condition.expr, keys, values)
    right = condition.value
    if left is None:
        return False
    try:
        return {
            "=": left == right,
            "<>": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[condition.op]
    except TypeError:
        return False


def _sortable(value, desc: bool):
    # None sorts last in both directions.
    if value is None:
        return (0 if desc else 2, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (1, str(value))


__all__ = ["answer", "evaluate", "from_clause", "unit_hash", "units_of", "views"]
