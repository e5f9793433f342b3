"""合成样例 — a synthetic sample of a table for operators to develop against: the same columns
and types, similar null rates, the declared category sets and value ranges, and fake values —
never a real row or a real identifier. Pure (DuckDB and the standard library).

Only aggregate shape statistics are read from the data (null rate per column, and for a
numeric or date column without a declared range its 5th–95th percentile, rounded), so the
sample cannot carry any row; strings without a declared category set become placeholders.
"""

# SQL here is composed from quoted identifiers and literals only; the fake values need to be
# reproducible from a seed, not unpredictable.
# ruff: noqa: S608, S311

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

import duckdb

from pdao.zone.engine import TablePolicy, _ident, _literal

ROWS = 1000


def _profile(table: TablePolicy, columns: list[str]) -> dict[str, dict]:
    con = duckdb.connect()
    try:
        source = f"read_parquet({_literal(table.path)})"
        profile = {}
        for column in columns:
            kind = table.types[column]
            c = _ident(column)
            (nulls,) = con.execute(f"SELECT avg(({c} IS NULL)::INT) FROM {source}").fetchone()
            info = {"type": kind, "null_rate": round(float(nulls or 0), 2)}
            if kind in ("BIGINT", "DOUBLE", "DATE", "TIMESTAMP") and column not in table.bounds:
                low, high = con.execute(
                    f"SELECT quantile_cont({c}, 0.05), quantile_cont({c}, 0.95) FROM {source}"
                ).fetchone()
                info["range"] = (low, high)
            profile[column] = info
        return profile
    finally:
        con.close()


def rows(table: TablePolicy, columns: list[str], *, count: int = ROWS, seed: int = 0) -> list[list]:
    rng = random.Random(seed)
    profile = _profile(table, columns)
    out = []
    for n in range(count):
        row = []
        for column in columns:
            info = profile[column]
            if rng.random() < info["null_rate"]:
                row.append(None)
                continue
            row.append(_fake(column, info, table, rng, n))
        out.append(row)
    return out


def _fake(column: str, info: dict, table: TablePolicy, rng: random.Random, n: int):
    kind = info["type"]
    if column in table.categories:
        return rng.choice(list(table.categories[column]))
    if kind in ("BIGINT", "DOUBLE"):
        low, high = table.bounds.get(column) or info.get("range") or (0, 100)
        low, high = float(low or 0), float(high or 0)
        value = rng.uniform(min(low, high), max(low, high))
        return round(value) if kind == "BIGINT" else round(value, 2)
    if kind in ("DATE", "TIMESTAMP"):
        low, high = info.get("range") or (date(2024, 1, 1), date(2024, 12, 31))
        low, high = _as_date(low), _as_date(high)
        return (low + timedelta(days=rng.randint(0, max(0, (high - low).days)))).isoformat()
    if kind == "BOOLEAN":
        return rng.random() < 0.5
    if column == table.privacy_unit or column in table.identifiers:
        # A placeholder no real identifier can equal (the SAMPLE prefix is not a format any
        # register issues).
        return f"SAMPLE-{column}-{n + 1:06d}"
    return f"样例{column}{rng.randint(1, 50):02d}"


def _as_date(value) -> date:
    if isinstance(value, date):
        return value if not hasattr(value, "date") else value.date()
    return date.fromisoformat(str(value)[:10])


def as_csv(table: TablePolicy, columns: list[str], **kwargs) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows(table, columns, **kwargs))
    return "\ufeff" + out.getvalue()
