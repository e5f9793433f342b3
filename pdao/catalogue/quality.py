"""Quality rules over one version's Parquet file (全生命周期质量控制). Pure: DuckDB, no Django.

Each rule yields the share of rows that pass and whether that meets its threshold; the version's
score is the mean share over its rules, as a percentage. Results carry counts, never values.

Kinds and their parameters:

    completeness  column                                   value present (not null or blank)
    uniqueness    columns (one or more)                    the combination occurs once
    validity      column, and pattern | choices | check    the value is well formed;
                  (check: "resident_id" or "credit_code")
    range         column, min and/or max                   the value lies within the bounds
    referential   column, reference (path), ref_column     the value exists in another
                                                           resource's active version
Timeliness is not a property of a file but of when it arrived: see `timeliness`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from pdao.accounts import credit_code
from pdao.catalogue.ingest import is_resident_id
from pdao.core.sql import quote_ident, quote_string

KINDS = ("completeness", "uniqueness", "validity", "range", "referential")
FREQUENCY_DAYS = {
    "realtime": 1, "daily": 2, "weekly": 8, "monthly": 35, "quarterly": 95, "yearly": 370,
}  # fmt: skip
_CHECKS = {"resident_id": is_resident_id, "credit_code": lambda v: credit_code.check(v) is None}


@dataclass(frozen=True)
class Rule:
    kind: str
    columns: tuple[str, ...]
    threshold: float = 1.0
    params: dict = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True)
class Outcome:
    rule: str
    kind: str
    columns: tuple[str, ...]
    checked: int
    failed: int
    share: float
    threshold: float
    passed: bool

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate(path: Path, rules: list[Rule]) -> tuple[float, list[Outcome]]:
    """(score 0–100, one outcome per rule) for the Parquet file at `path`."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW v AS SELECT * FROM read_parquet({quote_string(str(path))})")
    total = con.execute("SELECT count(*) FROM v").fetchone()[0]
    outcomes = [_evaluate(con, rule, total) for rule in rules]
    con.close()
    score = (
        100.0 if not outcomes else round(100 * sum(o.share for o in outcomes) / len(outcomes), 2)
    )
    return score, outcomes


def _evaluate(con, rule: Rule, total: int) -> Outcome:
    if rule.kind not in KINDS:
        raise ValueError(f"unknown quality rule kind {rule.kind!r}")
    failed = _failures(con, rule, total)
    share = 1.0 if total == 0 else round(1 - failed / total, 6)
    return Outcome(
        rule=rule.name or f"{rule.kind}({', '.join(rule.columns)})",
        kind=rule.kind,
        columns=rule.columns,
        checked=total,
        failed=failed,
        share=share,
        threshold=rule.threshold,
        passed=share >= rule.threshold,
    )


def _failures(con, rule: Rule, total: int) -> int:
    cols = [quote_ident(c) for c in rule.columns]
    first = cols[0]
    text = f"CAST({first} AS VARCHAR)"
    p = rule.params
    if rule.kind == "completeness":
        return _count(con, f"{first} IS NULL OR trim({text}) = ''")
    if rule.kind == "uniqueness":
        key = ", ".join(cols)
        return con.execute(
            f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM v GROUP BY {key} "
            "HAVING count(*) > 1)"
        ).fetchone()[0]
    if rule.kind == "validity":
        if p.get("pattern"):
            return _count(
                con,
                f"{first} IS NOT NULL AND NOT "
                f"regexp_full_match({text}, {quote_string(p['pattern'])})",
            )
        if p.get("choices"):
            allowed = ", ".join(quote_string(str(c)) for c in p["choices"])
            return _count(con, f"{first} IS NOT NULL AND {text} NOT IN ({allowed})")
        check = _CHECKS[p["check"]]
        values = con.execute(f"SELECT {text} FROM v WHERE {first} IS NOT NULL").fetchall()
        return sum(1 for (value,) in values if not check(value))
    if rule.kind == "range":
        conditions = []
        if p.get("min") is not None:
            conditions.append(f"{first} < {_literal(p['min'])}")
        if p.get("max") is not None:
            conditions.append(f"{first} > {_literal(p['max'])}")
        return _count(con, f"{first} IS NOT NULL AND ({' OR '.join(conditions) or 'false'})")
    # referential
    reference = quote_string(str(p["reference"]))
    ref_column = quote_ident(p["ref_column"])
    return con.execute(
        f"SELECT count(*) FROM v WHERE {first} IS NOT NULL AND {text} NOT IN "
        f"(SELECT CAST({ref_column} AS VARCHAR) FROM read_parquet({reference}) "
        f"WHERE {ref_column} IS NOT NULL)"
    ).fetchone()[0]


def _count(con, condition: str) -> int:
    return con.execute(f"SELECT count(*) FROM v WHERE {condition}").fetchone()[0]


def _literal(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return quote_string(str(value))
    return repr(value)


def timeliness(frequency: str, last_update: datetime | None, now: datetime) -> tuple[bool, int]:
    """(on time, days since the last version) against the declared update frequency."""
    if last_update is None:
        return False, -1
    days = (now - last_update) // timedelta(days=1)
    allowance = FREQUENCY_DAYS.get(frequency)
    return (allowance is None or days <= allowance), days
