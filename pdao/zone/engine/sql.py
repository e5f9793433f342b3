"""SQL text from the query model. Identifiers are always quoted and literals always typed, so
nothing a user typed becomes SQL, and no comparison can fail on a value (a text column is only
ever compared with text, a date with a date)."""

from __future__ import annotations

import math
from datetime import date, datetime

from pdao.core.sql import quote_ident, quote_string
from pdao.zone.engine import model as m


def ident(name) -> str:
    return quote_ident(str(name))


def string(value) -> str:
    return quote_string(str(value))


def value(v) -> str:
    """A typed literal for a Python value the translator produced."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("non-finite literal")  # the translator refuses these first
        return f"CAST({v!r} AS DOUBLE)"
    if isinstance(v, datetime):
        return f"TIMESTAMP {string(v.isoformat(sep=' '))}"
    if isinstance(v, date):
        return f"DATE {string(v.isoformat())}"
    return string(v)


def column(col: m.Col) -> str:
    return f"{ident(col.alias)}.{ident(col.name)}"


def operand(op: m.Operand) -> str:
    c = column(op.col)
    if op.fn is None:
        return c
    if op.fn == "part":
        return f"date_part({string(op.arg)}, {c})"
    if op.fn == "trunc":
        truncated = f"date_trunc({string(op.arg)}, {c})"
        return f"CAST({truncated} AS {op.type})"
    if op.fn == "format":
        return f"strftime({c}, {string(op.arg)})"
    if op.fn == "band":
        width = value(float(op.arg))
        banded = f"floor(CAST({c} AS DOUBLE) / {width}) * {width}"
        return f"CAST({banded} AS {op.type})"
    if op.fn == "div":
        return f"CAST(floor(CAST({c} AS DOUBLE) / {value(float(op.arg))}) AS BIGINT)"
    if op.fn == "prefix":
        return f"left({c}, {int(op.arg)})"
    if op.fn == "case":
        arms, otherwise = op.arg
        whens = " ".join(f"WHEN {c} {o} {value(t)} THEN {value(label)}" for o, t, label in arms)
        return f"CASE {whens} ELSE {value(otherwise)} END"
    if op.fn == "generalise":
        return generalised(op.col, *op.arg)
    raise ValueError(f"unknown bucketing {op.fn}")  # the translator builds only the above


def generalised(col: m.Col, kind: str, categories: tuple = ()) -> str:
    """A quasi-identifier as de-identified records release it, computed in DuckDB."""
    c = column(col)
    if kind == "month":
        return f"strftime({c}, '%Y-%m')"
    if kind == "number":
        return f"CAST(floor(CAST({c} AS DOUBLE) / 10) * 10 AS BIGINT)"
    kept = f"{c} IN ({', '.join(string(x) for x in categories)}) OR " if categories else ""
    return f"CASE WHEN {kept}length({c}) <= 2 THEN {c} ELSE left({c}, 2) || '…' END"


def released(col: m.Col, kind: str, categories: tuple = ()) -> str:
    """The released text of a generalised number: its band, as 30–39."""
    if kind == "number":
        low = generalised(col, "number")
        return f"CAST({low} AS VARCHAR) || '–' || CAST({low} + 9 AS VARCHAR)"
    return generalised(col, kind, categories)


def condition(f, render=operand, replace: dict | None = None) -> str:
    """A filter of the model as a boolean SQL expression; `replace` maps the id of a node to
    the constant it is taken as (low-effect detection drops a condition that way)."""
    if replace and id(f) in replace:
        return "TRUE" if replace[id(f)] else "FALSE"
    if isinstance(f, m.And):
        return "(" + " AND ".join(condition(x, render, replace) for x in f.items) + ")"
    if isinstance(f, m.Or):
        return "(" + " OR ".join(condition(x, render, replace) for x in f.items) + ")"
    if isinstance(f, m.Not):
        return f"(NOT {condition(f.item, render, replace)})"
    if isinstance(f, m.Compare):
        return f"({render(f.left)} {f.op} {value(f.value)})"
    if isinstance(f, m.InList):
        return f"({render(f.left)} IN ({', '.join(value(v) for v in f.values)}))"
    if isinstance(f, m.Between):
        return f"({render(f.left)} BETWEEN {value(f.low)} AND {value(f.high)})"
    if isinstance(f, m.Prefix):
        return f"starts_with({render(f.left)}, {string(f.prefix)})"
    if isinstance(f, m.IsNull):
        return f"({render(f.left)} IS NULL)"
    if isinstance(f, m.Truth):
        return "TRUE" if f.value else "FALSE"
    raise ValueError("unknown filter")


def nodes(f, neutral: bool = True, parent: int = -1, found=None) -> list[tuple[object, bool, int]]:
    """Every node of a filter, parents first, with the value that makes it absent (TRUE under
    an AND and for the whole filter, FALSE under an OR, the opposite of its parent's under a
    NOT) and the index of its parent (-1 for the whole filter)."""
    found = [] if found is None else found
    found.append((f, neutral, parent))
    here = len(found) - 1
    if isinstance(f, m.And):
        for item in f.items:
            nodes(item, True, here, found)
    elif isinstance(f, m.Or):
        for item in f.items:
            nodes(item, False, here, found)
    elif isinstance(f, m.Not):
        nodes(f.item, not neutral, here, found)
    return found
