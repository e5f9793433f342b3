"""The zone engine: questions over public data, answered only as far as disclosure control
allows (原始数据不出域,数据可用不可见).

Pure: sqlglot, DuckDB, OpenDP and the standard library; no Django. The caller builds a `Policy`
from an authorization's access decision and asks in two steps — so that it can record the
query, and debit a DP query's ε, before anything reads data:

    plan = engine.plan(sql, policy, form="aggregate")     # -> Plan | Refused; reads no data
    result = engine.execute(plan, policy)                  # -> Released | Refused
    result = engine.run(sql, policy, form="aggregate")     # both at once

The design (docs/zone.md, docs/adr/0012): submitted SQL is **translated into a small typed
query model** (`model.py`, `translate.py`, `shapes.py`) and anything that does not fit it is
refused; the engine then **generates** the SQL it runs (`sql.py`, `aggregate.py`, `dp.py`,
`records.py`) in a locked DuckDB connection (`connect.py`). The model holds a table or a
declared join; filters of a column (or a declared bucketing of one) against typed constants;
group keys; plain measures; and arithmetic, HAVING, ORDER BY and LIMIT over the protected
answer. The privacy unit and direct identifiers never appear in a filter, key, order, join or
measure. Exact aggregates over personal tables are perturbed by the cell key method
(`cellkey.py`) on top of k thresholds and dominance; DP answers come from OpenDP; de-identified
records and model outputs release rows under their own rules. Derived datasets (`derive.py`)
are how multi-step work is done: each of their rows is one unit's data.

    >>> policy = Policy(tables={})
    >>> run("SELECT 1; SELECT 2", policy, form="aggregate").rule
    'sql.one_statement'
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from pdao.zone.engine import aggregate, connect, dp, records, shapes
from pdao.zone.engine.errors import Refusal
from pdao.zone.engine.model import Query
from pdao.zone.engine.prepare import prepare, unit_secret
from pdao.zone.engine.records import generalise, pseudonym
from pdao.zone.engine.translate import MAX_SQL_CHARS, SHAPES, parse
from pdao.zone.engine.types import (
    FORMS,
    UNIT_KEY,
    Derived,
    Join,
    Perturbation,
    Policy,
    Prepared,
    Refused,
    Released,
    TablePolicy,
)

__all__ = [
    "FORMS",
    "MAX_SQL_CHARS",
    "SHAPES",
    "UNIT_KEY",
    "Derived",
    "Join",
    "Perturbation",
    "Plan",
    "Policy",
    "Prepared",
    "Refused",
    "Released",
    "TablePolicy",
    "describe",
    "execute",
    "generalise",
    "materialise",
    "plan",
    "prepare",
    "pseudonym",
    "run",
    "unit_secret",
]


@dataclass(frozen=True)
class Plan:
    """A query that passed validation: what it will read, and the ε it will spend."""

    form: str
    query: Query
    tables: list[str]
    columns_used: list[str]
    epsilon: float = 0.0

    @property
    def columns(self) -> list[str]:
        """The names of the answer's columns."""
        return [o.name for o in self.query.outputs] or list(self.query.names)


def _refused(refusal: Refusal, started: float, tables=(), columns=(), epsilon=0.0) -> Refused:
    return Refused(
        refusal.rule,
        refusal.message,
        sorted(tables),
        sorted(columns),
        time.perf_counter() - started,
        epsilon,
    )


def plan(sql: str, policy: Policy, *, form: str) -> Plan | Refused:
    """Validate `sql` as `form` under `policy` without reading any data. Never raises for bad
    input: every refusal here depends on the SQL and the policy only."""
    started = time.perf_counter()
    try:
        if form not in FORMS:
            raise Refusal("form.unknown", "未知的输出形式")
        query = shapes.translate(parse(sql), policy, form)
        if any(policy.tables[s.name].personal for s in query.sources) and not policy.noise_key:
            raise Refusal("policy.noise_key", "专区未配置扰动密钥")
        epsilon = 0.0
        if form == "dp":
            epsilon = check_epsilon(policy.epsilon_per_query, policy)
    except Refusal as refusal:
        return _refused(refusal, started)
    tables = sorted({s.name for s in query.sources})
    columns = sorted({c for _t, c in query.used})
    return Plan(form, query, tables, columns, epsilon)


def check_epsilon(epsilon, policy: Policy) -> float:
    """ε for one DP query: a finite number inside the agreement's bounds, within what is left."""
    try:
        value = float(epsilon)
    except (TypeError, ValueError):
        raise Refusal("dp.epsilon", "ε 须为数值") from None
    if not math.isfinite(value) or value <= 0:
        raise Refusal("dp.epsilon", "ε 须为大于 0 的有限数")
    if value < policy.epsilon_min - 1e-12 or value > policy.epsilon_max + 1e-12:
        raise Refusal(
            "dp.epsilon",
            f"每次查询的 ε 须在协议约定的 {policy.epsilon_min:g} 到 {policy.epsilon_max:g} 之间",
        )
    if value > policy.epsilon_left + 1e-12:
        raise Refusal(
            "dp.budget", f"隐私预算不足：剩余 ε={policy.epsilon_left:.3g}，本次需要 ε={value:.3g}"
        )
    return value


def execute(planned: Plan, policy: Policy) -> Released | Refused:
    """Run a validated query and release what disclosure control lets out. A DP query that
    fails here (time, memory, rows) has still spent its ε: the refusal says so."""
    started = time.perf_counter()
    query = planned.query
    deadline = connect.DEADLINE.set(time.monotonic() + policy.timeout_seconds)
    try:
        if planned.form == "aggregate":
            result = aggregate.answer(query, policy)
        elif planned.form == "dp":
            result = dp.answer(query, policy, planned.epsilon)
        elif planned.form == "deidentified":
            result = records.deidentified(query, policy)
        else:
            result = records.model_output(query, policy)
    except Refusal as refusal:
        return _refused(refusal, started, planned.tables, planned.columns_used, planned.epsilon)
    finally:
        connect.DEADLINE.reset(deadline)
    # What was read, as a record of work: the catalogue's tables, whose sizes are published.
    # A derived dataset's size is itself an answer about people (a threshold over amounts
    # selects a few) and is said only through a protected COUNT.
    scanned = sum(
        connect.facts(policy.tables[name])["rows"]
        for name in planned.tables
        if not policy.tables[name].derived
    )
    return Released(
        columns=result["columns"],
        rows=result["rows"],
        form=planned.form,
        suppressed_cells=result.get("suppressed_cells", 0),
        suppression=result.get("suppression", []),
        notes=result.get("notes", []),
        epsilon_spent=result.get("epsilon_spent", 0.0),
        epsilon_left=result.get("epsilon_left", policy.epsilon_left),
        tables=planned.tables,
        columns_used=planned.columns_used,
        rows_scanned=scanned,
        seconds=time.perf_counter() - started,
        cells=result.get("cells", []),
        remember=result.get("remember"),
        near=result.get("near", 0),
        flips=result.get("flips", 0),
    )


def run(sql: str, policy: Policy, *, form: str) -> Released | Refused:
    """Plan and execute at once (the pure library's one call; the platform records between)."""
    planned = plan(sql, policy, form=form)
    if isinstance(planned, Refused):
        return planned
    return execute(planned, policy)


def materialise(sql: str, policy: Policy, *, dest_dir, max_rows: int = 20_000_000):
    """Run a derived-dataset query inside the zone and keep its result as read-only Parquet
    under `dest_dir`, named by its SHA-256 (`derive.py` says what it may be)."""
    from pathlib import Path

    from pdao.zone.engine import derive  # derive imports this package's modules

    started = time.perf_counter()
    try:
        return derive.materialise(sql, policy, dest=Path(dest_dir), max_rows=max_rows)
    except Refusal as refusal:
        return _refused(refusal, started)


def describe(policy: Policy) -> dict:
    """What the policy exposes: tables, columns with their forms, units, QIs, identifiers."""
    return {
        name: {
            "columns": {c: sorted(f) for c, f in t.columns.items()},
            "types": dict(t.types),
            "privacy_unit": t.privacy_unit,
            "personal": t.personal,
            "quasi_identifiers": sorted(t.quasi_identifiers),
            "identifiers": sorted(t.identifiers),
            "bounds": {c: list(b) for c, b in t.bounds.items()},
            "categories": {c: list(v) for c, v in t.categories.items()},
        }
        for name, t in policy.tables.items()
    }
