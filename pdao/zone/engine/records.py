"""De-identified records and model outputs: the two forms that release rows.

De-identified records: identifiers and the privacy unit become keyed pseudonyms (HMAC-SHA256
under a key of the authorization and the question: the same for the same question, so a
product's deliveries line up; unlinkable between two questions); quasi-identifiers are released
generalised (a date to its month, a number to its band of ten, text outside its declared set to
two characters). Filters compare those released forms only. Which rows come back is decided by
the platform's keyed hash of the unit, never by a value or an order the query chose, and they
are returned in pseudonym order: one output per query, no paging. A row is released only when
its combination of *all* the table's releasable quasi-identifiers, generalised, is shared by at
least k units among the rows the filter selects (the count perturbed), and a person's rows
only when the set of combinations they fall in is shared by k people in the release
(k-anonymity per person: two visits can single out whom each visit's class hides).

Model output: the result columns of a model built in the zone (a derived dataset with one row
per key) for the one object the request names by its key.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import date, datetime

from pdao.zone.engine import aggregate, cellkey, connect, sql
from pdao.zone.engine import model as m
from pdao.zone.engine.errors import refuse
from pdao.zone.engine.translate import kind_of
from pdao.zone.engine.types import Policy, TablePolicy


def pseudonym(value, key: bytes) -> str | None:
    """A keyed pseudonym (HMAC-SHA256, 16 hex digits)."""
    if value is None:
        return None
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:16]


def generalise(value, kind: str, categories: tuple = ()):
    """A quasi-identifier as released (the same rule the engine computes in DuckDB)."""
    if value is None:
        return None
    if value in categories:
        return value
    if isinstance(value, datetime | date) or kind in ("DATE", "TIMESTAMP"):
        text = value.isoformat() if isinstance(value, date | datetime) else str(value)
        return text[:7]
    if isinstance(value, int | float) and not isinstance(value, bool):
        low = math.floor(value / 10) * 10
        return f"{low}–{low + 9}"
    return str(value)[:2] + "…" if len(str(value)) > 2 else str(value)


def _release_kind(table: TablePolicy, column: str) -> str | None:
    if column not in table.quasi_identifiers:
        return None
    kind = kind_of(table.types[column])
    return "month" if kind in ("date", "timestamp") else "number" if kind == "number" else "text"


def deidentified(query: m.Query, policy: Policy) -> dict:
    source = query.sources[0]
    table = policy.tables[source.name]
    if not policy.pseudonym_key:
        refuse("deid.key", "授权未配置假名化密钥")
    limit = min(query.limit if query.limit is not None else policy.max_rows, policy.max_rows)
    qis = sorted(c for c, forms in table.columns.items()
                 if c in table.quasi_identifiers and "deidentified" in forms)  # fmt: skip
    outputs = []
    for i, col in enumerate(query.projections):
        kind = _release_kind(table, col.name)
        categories = tuple(table.categories.get(col.name, ()))
        value = sql.released(col, kind, categories) if kind else sql.column(col)
        outputs.append(f"{value} AS o{i}")
    classes = []
    for i, c in enumerate(qis):
        col = m.Col(source.name, source.alias, c, table.types[c])
        kind, categories = _release_kind(table, c), tuple(table.categories.get(c, ()))
        classes.append(f"{sql.generalised(col, kind, categories)} AS g{i}")
    alias = sql.ident(source.alias)
    unit = f"{alias}.{sql.ident('__uk')}" if table.personal else "NULL::UBIGINT"
    every = [sql.column(m.Col(source.name, source.alias, c, "")) for c in sorted(table.columns)]
    order = f"{unit}, hash({', '.join(every)})"
    where = f" WHERE {sql.condition(query.where)}" if query.where is not None else ""
    g = [f"g{i}" for i in range(len(qis))]
    filtered = (
        f"SELECT {', '.join([*outputs, *classes, f'{unit} AS __u', f'{order} AS __o'])} "
        f"FROM {sql.ident('v0')} AS {alias}{where}"
    )
    if table.personal and g:
        on = " AND ".join(f"p.{x} IS NOT DISTINCT FROM s.{x}" for x in g)
        # Each class's people, with the key of their set: its size is compared with k after
        # perturbation, so no filter can make a row appear exactly when one person is there.
        text = (
            f"WITH f AS ({filtered}), pick AS (SELECT * FROM f ORDER BY __o LIMIT {limit}), "
            f"sizes AS (SELECT {', '.join(g)}, count(*) AS n, "
            f"sum(hash(__u, 1::BIGINT)) % {cellkey.MODULUS}::HUGEINT AS nkey FROM "
            f"(SELECT DISTINCT {', '.join(g)}, __u FROM f) GROUP BY ALL) "
            f"SELECT p.*, s.n, s.nkey FROM pick p LEFT JOIN sizes s ON {on}"
        )
    else:
        text = f"SELECT *, NULL AS n, NULL AS nkey FROM ({filtered}) ORDER BY __o LIMIT {limit}"
    extra = {source.name: set(table.columns)}
    con = connect.connect(policy, aggregate.views(query, policy, extra))
    try:
        columns, raw = connect.fetch(con, text, policy, limit)
    finally:
        con.close()
    at = {name: i for i, name in enumerate(columns)}
    p = policy.perturbation
    rows = []
    for row in raw:
        if table.personal and g:
            size = cellkey.perturb_count(
                row[at["n"]] or 0,
                1,
                int(row[at["nkey"]] or 0),
                noise_key=policy.noise_key,
                D=p.D,
                V=p.V,
                mu=p.mu,
            )
            if size < policy.k:
                continue
        rows.append(row)
    if table.personal and g:
        rows = _anonymous_people(rows, at, len(g), policy.k)
    # Pseudonyms are per query: stable for the same question (a product's deliveries, a
    # repeated query), unlinkable between two different ones, so rows cannot be joined across
    # releases to single a person out (docs/zone.md).
    key = hmac.new(policy.pseudonym_key, _canonical(query).encode(), hashlib.sha256).digest()
    kept = []
    for row in rows:
        out = []
        for i, col in enumerate(query.projections):
            value = row[at[f"o{i}"]]
            if table.protected(col.name):
                value = pseudonym(value, key)
            out.append(_plain(value))
        kept.append(out)
    pseudonyms = [i for i, col in enumerate(query.projections) if table.protected(col.name)]
    if pseudonyms:
        kept.sort(key=lambda r: tuple("" if r[i] is None else r[i] for i in pseudonyms))
    # How many rows were left out is not said: the count would tell which small classes exist.
    return {
        "columns": list(query.names),
        "rows": kept,
        "suppressed_cells": 0,
        "suppression": [],
        "notes": [
            "标识符以按授权加密的假名输出；准标识符泛化后输出；行按平台密钥的散列顺序选取，"
            "不能按取值排序或翻页。",
            f"准标识符组合（泛化后）在所选记录中少于 {policy.k} 个隐私单元的行不输出，"
            f"一人各行所在组合的整体也须有 {policy.k} 人相同（k-匿名）；假名按查询生成，"
            "不同查询之间不能关联。",
        ],
        "epsilon_left": policy.epsilon_left,
    }


def _canonical(query: m.Query) -> str:
    where = sql.condition(query.where) if query.where is not None else ""
    columns = [f"{c.table}.{c.name}" for c in query.projections]
    return "|".join([*columns, where, str(query.limit)])


def _anonymous_people(rows: list, at: dict, classes: int, k: int) -> list:
    """k-anonymity per person: within the release, the set of quasi-identifier classes a
    person's rows fall in must be shared by at least k people (one person's visits to two
    hospitals in two months can single them out even when each visit's class is large)."""
    signature: dict = {}
    for row in rows:
        cls = tuple(row[at[f"g{i}"]] for i in range(classes))
        signature.setdefault(row[at["__u"]], set()).add(cls)
    shared: dict = {}
    for person, found in signature.items():
        shared.setdefault(frozenset(found), []).append(person)
    kept = {person for people in shared.values() if len(people) >= k for person in people}
    return [row for row in rows if row[at["__u"]] in kept]


def model_output(query: m.Query, policy: Policy) -> dict:
    source = query.sources[0]
    table = policy.tables[source.name]
    found = connect.facts(table)
    if found["units"] != found["rows"] or found["max_rows_per_unit"] != 1:
        refuse(
            "model.not_unique",
            f"模型表须每个 {table.privacy_unit} 一行（请在生成模型时按它分组）",
        )
    listed = ", ".join(f"{sql.column(c)} AS o{i}" for i, c in enumerate(query.projections))
    text = (
        f"SELECT {listed} FROM {sql.ident('v0')} AS {sql.ident(source.alias)} "
        f"WHERE {sql.condition(query.where)} LIMIT 2"
    )
    con = connect.connect(policy, aggregate.views(query, policy))
    try:
        _columns, raw = connect.fetch(con, text, policy, 1)
    finally:
        con.close()
    return {
        "columns": list(query.names),
        "rows": [[_plain(v) for v in row] for row in raw],
        "suppressed_cells": 0,
        "suppression": [],
        "notes": ["模型输出：每次请求只返回一个对象的模型结果。"],
        "epsilon_left": policy.epsilon_left,
    }


def _plain(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
