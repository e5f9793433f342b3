"""The differential-privacy form: COUNT / COUNT(DISTINCT unit) / SUM / AVG and quantiles,
with per-unit contribution bounding, declared clamping ranges and group keys from declared
value sets, Laplace noise and the exponential mechanism through OpenDP.

Every combination of the declared key sets is released (an empty group too), so whether a
group exists reveals nothing and no partition selection is needed (δ = 0). Each unit keeps at
most `contributions` rows, chosen by a hash of the row (nothing an attacker could redraw by
repeating the query); a table with one row per unit skips that step. The query's ε is split
evenly over its measures (AVG costs two shares: a noisy sum over a noisy count); it is debited
by the caller before the query runs.
"""

from __future__ import annotations

from pdao.zone.engine import aggregate, connect, sql
from pdao.zone.engine import model as m
from pdao.zone.engine.errors import refuse
from pdao.zone.engine.types import Policy

QUANTILE_CANDIDATES = 200  # evenly spaced over the declared range


def cost(query: m.Query) -> int:
    return sum(2 if x.kind == "avg" else 1 for x in query.measures)


def _domain(key: m.Operand, policy: Policy) -> tuple:
    if key.fn == "case":
        arms, otherwise = key.arg
        return tuple(dict.fromkeys([*(label for _o, _t, label in arms), otherwise]))
    return tuple(policy.tables[key.col.table].categories[key.col.name])


def answer(query: m.Query, policy: Policy, epsilon: float) -> dict:
    import opendp.prelude as dp

    source = query.sources[0]
    table = policy.tables[source.name]
    share = epsilon / cost(query)
    c = max(1, int(policy.contributions))
    domains = [_domain(k, policy) for k in query.keys]
    combos = [()]
    for domain in domains:
        combos = [(*combo, v) for combo in combos for v in domain]
    if len(combos) > policy.max_rows:
        refuse("limits.rows", f"分组组合超过 {policy.max_rows} 个")
    alias = sql.ident(source.alias)
    where = f" WHERE {sql.condition(query.where)}" if query.where is not None else ""
    unit = f"{alias}.{sql.ident('__uk')}" if table.personal else "NULL"
    keys = [f"{sql.operand(k)} AS k{i}" for i, k in enumerate(query.keys)]
    needed = {measure.col.name for measure in query.measures if measure.col is not None}
    bounded = "" if not table.personal or _one_row(table) else (
        f" QUALIFY row_number() OVER (PARTITION BY {unit} ORDER BY hash("
        + ", ".join(sql.column(m.Col(source.name, source.alias, col, "")) for col in sorted(
            {*needed, *(k.col.name for k in query.keys)}) or ["__uk"])
        + f")) <= {c}"
    )  # fmt: skip
    inner_columns = [*keys, f"{unit} AS __u"] + [
        f"{sql.column(m.Col(source.name, source.alias, col, ''))} AS {sql.ident(col)}"
        for col in sorted(needed)
    ]
    inner = f"SELECT {', '.join(inner_columns)} FROM {sql.ident('v0')} AS {alias}{where}{bounded}"
    selects = []
    for j, measure in enumerate(query.measures):
        col = sql.ident(measure.col.name) if measure.col is not None else None
        if measure.kind in ("sum", "avg", "quantile"):
            low, high = (sql.value(float(x)) for x in table.bounds[measure.col.name])
            clamped = f"least(greatest(CAST({col} AS DOUBLE), {low}), {high})"
        if measure.kind == "quantile":
            selects.append(f"list({clamped}) FILTER (WHERE {col} IS NOT NULL) AS m{j}")
        elif measure.kind == "count":
            selects.append(f"count(*) AS m{j}")
        elif measure.kind == "units":
            selects.append(f"count(DISTINCT __u) AS m{j}")
        else:
            selects.append(f"coalesce(sum({clamped}), 0) AS m{j}")
            if measure.kind == "avg":
                selects.append(f"count({col}) AS n{j}")
    names = [f"k{i}" for i in range(len(query.keys))]
    group = f" GROUP BY {', '.join(names)}" if names else ""
    text = f"SELECT {', '.join([*names, *selects])} FROM ({inner}) AS s{group}"
    extra = {source.name: set(needed) | {k.col.name for k in query.keys}}
    con = connect.connect(policy, aggregate.views(query, policy, extra))
    try:
        columns, raw = connect.fetch(con, text, policy, max(policy.max_rows, len(combos)))
    finally:
        con.close()
    found = {tuple(row[: len(names)]): dict(zip(columns, row, strict=True)) for row in raw}
    dp.enable_features("contrib")

    def laplace(values: list[float], sensitivity: float) -> list[float]:
        space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float)
        measurement = dp.m.make_laplace(*space, scale=sensitivity / share)
        assert measurement.map(sensitivity) <= share * (1 + 1e-9)
        return list(measurement([float(v) for v in values]))

    per_measure = {}
    for j, measure in enumerate(query.measures):
        if measure.kind == "quantile":
            low, high = table.bounds[measure.col.name]
            step = (high - low) / (QUANTILE_CANDIDATES - 1)
            candidates = [low + step * n for n in range(QUANTILE_CANDIDATES)]
            space = (
                dp.vector_domain(dp.atom_domain(T=float, nan=False)),
                dp.symmetric_distance(),
                dp.max_divergence(),
            )

            def quantile(scale: float, a=measure.alpha, cands=candidates, space=space):
                return dp.m.make_private_quantile(*space, candidates=cands, alpha=a, scale=scale)

            scale = quantile(1.0).map(c) / share  # ε is linear in 1/scale: calibrate once
            mechanism = quantile(scale)
            assert mechanism.map(c) <= share * (1 + 1e-9)
            per_measure[j] = [
                round(
                    float(mechanism([float(v) for v in (found.get(x) or {}).get(f"m{j}") or []])), 4
                )
                for x in combos
            ]
            continue
        truth = [float((found.get(x) or {}).get(f"m{j}") or 0) for x in combos]
        if measure.kind in ("count", "units"):
            sensitivity = float(c if measure.kind == "count" else 1)
            per_measure[j] = [max(0, round(v)) for v in laplace(truth, sensitivity)]
            continue
        low, high = table.bounds[measure.col.name]
        sums = laplace(truth, c * max(abs(low), abs(high)))
        if measure.kind == "sum":
            per_measure[j] = [round(v, 2) for v in sums]
            continue
        counts = laplace([float((found.get(x) or {}).get(f"n{j}") or 0) for x in combos], float(c))
        per_measure[j] = [
            round(min(high, max(low, s / n)), 4) if n >= 1 else None
            for s, n in zip(sums, counts, strict=True)
        ]
    rows = []
    for index, combo in enumerate(combos):
        keys_out = list(combo)
        values = [per_measure[j][index] for j in range(len(query.measures))]
        rows.append(([aggregate.evaluate(o.expr, keys_out, values) for o in query.outputs],
                     keys_out, values))  # fmt: skip
    if query.having is not None:
        rows = [r for r in rows if aggregate._holds(query.having, r[1], r[2])]
    for order in reversed(query.order):
        rows.sort(
            key=lambda x, o=order: aggregate._sortable(
                aggregate.evaluate(o.expr, x[1], x[2]), o.desc
            ),
            reverse=order.desc,
        )
    if query.offset or query.limit is not None:
        end = None if query.limit is None else query.offset + query.limit
        rows = rows[query.offset : end]
    return {
        "columns": [o.name for o in query.outputs],
        "rows": [r[0] for r in rows],
        "epsilon_spent": epsilon,
        "epsilon_left": max(0.0, policy.epsilon_left - epsilon),
        "notes": [
            f"差分隐私（拉普拉斯机制，OpenDP）：本次消耗 ε={epsilon:g}，按 {cost(query)} 份均分；"
            f"每个隐私单元至多计入 {c} 行；分组取声明的全部取值。"
        ],
    }


def _one_row(table) -> bool:
    return connect.one_row_per_unit(table)
