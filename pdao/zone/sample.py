"""合成样例 — a synthetic sample of a table for operators to develop against: the same columns
and types, the declared value sets and ranges, fake values — never a real row, a real
identifier or anything fitted to the data. Pure (the standard library).

Built from declared metadata only (`TablePolicy`): types, declared ranges and value sets. The
one figure read from the data is each column's share of empty values, rounded to a tenth and
only for tables of at least `MIN_UNITS` units (from the zone copy's footer); a smaller table
gets none, so a sample can never tell anything about a handful of people.
"""

# The fake values need to be reproducible from a seed, not unpredictable.
# ruff: noqa: S311

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

import duckdb

from pdao.zone.engine import TablePolicy
from pdao.zone.engine.connect import facts
from pdao.zone.engine.sql import ident, string

ROWS = 1000
MIN_UNITS = 100
DEFAULT_RANGE = {"BIGINT": (0, 100), "DOUBLE": (0.0, 100.0)}
DEFAULT_DATES = (date(2024, 1, 1), date(2024, 12, 31))


def _null_rates(table: TablePolicy, columns: list[str]) -> dict[str, float]:
    found = facts(table)
    units = found["units"] if table.personal else found["rows"]
    if units < MIN_UNITS or not columns:
        return dict.fromkeys(columns, 0.0)
    con = duckdb.connect()
    try:
        listed = ", ".join(f"avg(({ident(c)} IS NULL)::INT)" for c in columns)
        # Quoted identifiers and a quoted path only.
        row = con.execute(
            f"SELECT {listed} FROM read_parquet({string(table.path)})"  # noqa: S608
        ).fetchone()
    finally:
        con.close()
    return {c: round(float(v or 0), 1) for c, v in zip(columns, row, strict=True)}


def rows(table: TablePolicy, columns: list[str], *, count: int = ROWS, seed: int = 0) -> list[list]:
    rng = random.Random(seed)
    nulls = _null_rates(table, columns)
    out = []
    for n in range(count):
        row = []
        for column in columns:
            if rng.random() < nulls[column]:
                row.append(None)
                continue
            row.append(_fake(column, table, rng, n))
        out.append(row)
    return out


def _fake(column: str, table: TablePolicy, rng: random.Random, n: int):
    kind = table.types[column].upper()
    if column in table.categories:
        return rng.choice(list(table.categories[column]))
    if column in table.units or column in table.identifiers:
        # A placeholder no real identifier can equal (SAMPLE is not a format any register uses).
        return f"SAMPLE-{column}-{n + 1:06d}"
    if kind in ("BIGINT", "INTEGER", "DOUBLE") or kind.startswith("DECIMAL"):
        low, high = table.bounds.get(column) or DEFAULT_RANGE.get(kind, (0.0, 100.0))
        value = rng.uniform(min(low, high), max(low, high))
        return round(value) if kind in ("BIGINT", "INTEGER") else round(value, 2)
    if kind in ("DATE",) or kind.startswith("TIMESTAMP"):
        low, high = DEFAULT_DATES
        return (low + timedelta(days=rng.randint(0, (high - low).days))).isoformat()
    if kind.startswith("BOOL"):
        return rng.random() < 0.5
    return f"样例{column}{rng.randint(1, 50):02d}"


def as_csv(table: TablePolicy, columns: list[str], **kwargs) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows(table, columns, **kwargs))
    return "\ufeff" + out.getvalue()
