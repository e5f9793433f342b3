"""The two corpora the zone is judged by: tests/zone/attacks.sql (each attempt refused with the
rule it names, or made harmless) and tests/zone/allowed.sql (real analytical queries whose
released answers equal plain DuckDB's within the published perturbation, or for DP within the
stated noise)."""

import math
import re
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from pdao.zone import engine
from pdao.zone.engine import model as m
from tests.zone.conftest import plain

HERE = Path(__file__).parent


def _cases(name: str) -> list[list[str]]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [[part.strip() for part in line.split(" | ")] for line in lines
            if line.strip() and not line.startswith("--")]  # fmt: skip


ATTACKS = _cases("attacks.sql")
ALLOWED = _cases("allowed.sql")
SECRETS = ("P000042", "4502", "1000000000", "柳州合成企业")


def test_the_corpora_are_as_large_as_promised():
    assert len(ATTACKS) >= 100 and len(ALLOWED) >= 45


@pytest.mark.parametrize("expected, form, sql", ATTACKS, ids=[a[2][:60] for a in ATTACKS])
def test_attack_is_refused_or_made_harmless(expected, form, sql, zone_policy):
    result = engine.run(sql, zone_policy, form=form)
    if expected == "released":
        assert isinstance(result, engine.Released), result
        return
    if expected == "perturbed":
        assert isinstance(result, engine.Released), result
        assert any("单元格键扰动" in note for note in result.notes)
        return
    if expected == "suppressed":
        assert isinstance(result, engine.Released), result
        assert result.rows == [] or all(v is None for row in result.rows for v in row[-1:])
        return
    if expected == "dominance":
        assert isinstance(result, engine.Released), result
        assert any("优势规则" in r or "p% 规则" in r for r in result.suppression)
        return
    assert isinstance(result, engine.Refused), (sql, result)
    assert result.rule.startswith(expected) if expected.endswith(".") else result.rule == expected
    # A refusal names the rule and never echoes data: no value of the data appears in it.
    for secret in SECRETS:
        assert secret not in result.message or secret in sql


# --- Allowed queries against plain DuckDB ----------------------------------------------------


def _plain_value(value):
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _measure_sql(measure: m.Measure) -> str:
    if measure.kind == "count":
        return "COUNT(*)"
    column = f'"{measure.col.alias}"."{measure.col.name}"'
    return {
        "count_col": f"COUNT({column})",
        "units": f"COUNT(DISTINCT {column})",
        "sum": f"SUM({column})",
        "avg": f"AVG({column})",
    }[measure.kind]


def _truth_by_key(sql: str, query: m.Query, paths, policy) -> dict:
    """Each measure's exact value per group, and the true unit counts, from plain DuckDB: the
    submitted query's FROM, WHERE and GROUP BY with the measures as its select list."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    projections = tree.expressions
    aliases = {p.alias: p.this for p in projections if isinstance(p, exp.Alias)}
    keys = []
    group = tree.args.get("group")
    for item in group.expressions if group is not None else []:
        node = item
        if isinstance(node, exp.Literal) and not node.is_string:
            node = projections[int(node.this) - 1].unalias()
        elif isinstance(node, exp.Column) and not node.table and node.name in aliases:
            node = aliases[node.name]
        if node.sql() not in [k.sql() for k in keys]:
            keys.append(node.copy())
    units = [
        m.Measure("units", m.Col(s.name, s.alias, u, ""))
        for s in query.sources
        for u in policy.tables[s.name].units
    ]
    counts = [
        m.Measure("count_col", x.col) for x in query.measures if x.kind == "avg"
    ]  # the number of values behind each AVG
    measures = [_measure_sql(x) for x in (*query.measures, *units, *counts)]
    select = [*[k.sql(dialect="duckdb") for k in keys], *measures]
    tree.set("expressions", [sqlglot.parse_one(s, read="duckdb") for s in select])
    for clause in ("having", "order", "limit", "offset"):
        tree.set(clause, None)
    if keys:
        tree.set("group", exp.Group(expressions=[k.copy() for k in keys]))
    found = {}
    for row in plain(paths, tree.sql(dialect="duckdb")):
        key = tuple(_plain_value(v) for v in row[: len(keys)])
        values = list(row[len(keys) :])
        n, u = len(query.measures), len(units)
        found[key] = (values[:n], values[n : n + u], values[n + u :])
    return found


def _maxima(query: m.Query, paths, policy) -> dict:
    """The largest contribution of one unit, table-wide (an upper bound for every cell): rows,
    non-empty values and absolute sums of each column, over every kind of unit in the query."""
    relation = sqlglot.parse_one(
        f"SELECT 1 FROM {query.sources[0].name} AS {query.sources[0].alias}"
    )
    if query.join is not None:
        other = query.sources[1]
        relation = relation.join(
            f"{other.name} AS {other.alias}",
            on=f'"{query.join.left.alias}"."{query.join.left.name}" = '
            f'"{query.join.right.alias}"."{query.join.right.name}"',
            join_type="LEFT" if query.join.kind == "left" else "",
        )
    source = relation.sql(dialect="duckdb").removeprefix("SELECT 1 ")
    columns = {x.col for x in query.measures if x.col is not None and x.kind != "units"}
    found = {"rows": 1, "n": dict.fromkeys(columns, 1), "s": dict.fromkeys(columns, 0.0)}
    for s in query.sources:
        for unit in policy.tables[s.name].units:
            parts = ["COUNT(*)"]
            for col in columns:
                c = f'"{col.alias}"."{col.name}"'
                parts += [f"COUNT({c})", f"SUM(ABS({c}))" if "VARCHAR" not in col.type else "0"]
            per = f'SELECT {", ".join(parts)} {source} GROUP BY "{s.alias}"."{unit}"'
            listed = ", ".join(f"MAX(c{i})" for i in range(len(parts)))
            renamed = ", ".join(f"c{i}" for i in range(len(parts)))
            (row,) = plain(paths, f"SELECT {listed} FROM ({per}) AS per({renamed})")
            found["rows"] = max(found["rows"], row[0] or 0)
            for i, col in enumerate(columns):
                found["n"][col] = max(found["n"][col], row[1 + 2 * i] or 0)
                found["s"][col] = max(found["s"][col], float(row[2 + 2 * i] or 0))
    return found


def _interval(expr, measures: list[tuple[float, float]], keys: list):
    if isinstance(expr, m.MeasureRef):
        return measures[expr.index]
    if isinstance(expr, m.Const):
        return (float(expr.value), float(expr.value))
    if isinstance(expr, m.KeyRef):
        return (keys[expr.index], keys[expr.index])
    if isinstance(expr, m.Round):
        low, high = _interval(expr.expr, measures, keys)
        slack = 0.5 * 10 ** (-expr.digits)
        return (low - slack, high + slack)
    a, b = _interval(expr.left, measures, keys), _interval(expr.right, measures, keys)
    if expr.op == "+":
        return (a[0] + b[0], a[1] + b[1])
    if expr.op == "-":
        return (a[0] - b[1], a[1] - b[0])
    corners = [x * y for x in a for y in b] if expr.op == "*" else [x / y for x in a for y in b]
    return (min(corners), max(corners))


def _exact(expr, measures: list, keys: list):
    if isinstance(expr, m.MeasureRef):
        return measures[expr.index]
    if isinstance(expr, m.Const):
        return expr.value
    if isinstance(expr, m.KeyRef):
        return keys[expr.index]
    if isinstance(expr, m.Round):
        return round(_exact(expr.expr, measures, keys), expr.digits)
    a, b = _exact(expr.left, measures, keys), _exact(expr.right, measures, keys)
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[expr.op]


def _check_aggregate(sql, reference, result, policy, paths):
    plan = engine.plan(sql, policy, form="aggregate")
    query = plan.query
    p = policy.perturbation
    key_at = [i for i, o in enumerate(query.outputs) if isinstance(o.expr, m.KeyRef)]
    truth = _truth_by_key(sql, query, paths, policy)
    most = _maxima(query, paths, policy)

    def count_bound(largest):
        return math.floor(max(1.0, p.mu * largest) * (p.D + 0.5) + 0.5)

    released_keys = set()
    for row in result.rows:
        keys = [None] * len(query.keys)
        for i in key_at:
            keys[query.outputs[i].expr.index] = row[i]
        key = tuple(keys)
        released_keys.add(key)
        assert key in truth, (sql, row)
        exact, units, averaged = truth[key]
        assert min(units) >= policy.k, (sql, row, units)  # nothing under k leaves
        averaged = iter(averaged)
        intervals = []
        for measure, value in zip(query.measures, exact, strict=True):
            if measure.kind == "units":
                delta = p.D
            elif measure.kind == "count":
                delta = count_bound(most["rows"])
            elif measure.kind == "count_col":
                delta = count_bound(most["n"][measure.col])
            else:
                delta = p.mu * most["s"][measure.col] * (p.D + 0.5) + 0.01
            if measure.kind == "avg":
                n, d_n = next(averaged), count_bound(most["n"][measure.col])
                s, d_s = value * n, p.mu * most["s"][measure.col] * (p.D + 0.5)
                corners = [(s + a) / (n + b) for a in (-d_s, d_s) for b in (-d_n, d_n)]
                intervals.append((min(corners) - 1e-4, max(corners) + 1e-4))
            else:
                intervals.append((value - delta, value + delta))
        for i, output in enumerate(query.outputs):
            if i in key_at:
                continue
            low, high = _interval(output.expr, intervals, keys)
            slack = 1e-6 * max(1.0, abs(low), abs(high))
            assert low - slack <= row[i] <= high + slack, (sql, output.name, row[i], low, high)
    # Translation: the query model's arithmetic on the exact measures is plain DuckDB's answer.
    for ref in plain(paths, reference):
        keys = [None] * len(query.keys)
        for i in key_at:
            keys[query.outputs[i].expr.index] = _plain_value(ref[i])
        if tuple(keys) not in truth:
            continue
        exact, _units, _averaged = truth[tuple(keys)]
        for i, output in enumerate(query.outputs):
            if i not in key_at:
                assert _close(_exact(output.expr, exact, keys), ref[i]), (sql, output.name)
    # Completeness: every group well above k appears (unless HAVING or LIMIT drop it).
    if query.having is None and query.limit is None:
        for key, (_exact_values, units, _averaged) in truth.items():
            if min(units) >= policy.k + p.D:
                assert key in released_keys, (sql, key)


def _close(a, b) -> bool:
    b = _plain_value(b)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return str(a) == str(b)


@pytest.mark.parametrize("case", ALLOWED, ids=[c[1][:60] for c in ALLOWED])
def test_allowed_query_matches_plain_duckdb(case, zone_policy, zone_data):
    form, sql, *reference = case
    result = engine.run(sql, zone_policy, form=form)
    assert isinstance(result, engine.Released), (sql, result)
    assert result.rows, sql
    reference_sql = re.sub(r"\s+LIMIT\s+\d+$", "", reference[0] if reference else sql)
    if form == "aggregate":
        _check_aggregate(sql, reference_sql, result, zone_policy, zone_data)
        return
    truth = plain(zone_data, reference_sql)
    # DP: every released number within 8 noise scales of the truth (a miss ~ 1 in 1,500).
    by_key = {tuple(str(v) for v in row[:-1]): row[-1] for row in truth}
    for row in result.rows:
        key = tuple(str(v) for v in row[:-1])
        if "北部生态新区" in key:  # a group of one person: noise dominates it, as it must
            continue
        if key not in by_key:
            assert row[-1] is not None and abs(row[-1]) < 50, (sql, row)  # an empty group
            continue
        true_value = by_key[key]
        assert abs(row[-1] - true_value) <= max(0.05 * abs(true_value), 60), (sql, row, true_value)
