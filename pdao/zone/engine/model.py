"""The query model: everything the zone can answer, as small typed values.

Submitted SQL is translated into these (`translate.py`) and anything that does not fit is
refused; the SQL that runs is generated from them (`generate.py`), never passed through. A
`Query` is a table (or a declared join), a filter of column-versus-literal comparisons, group
keys that are columns or declared bucketings of a column, plain measures, and arithmetic,
HAVING, ORDER BY and LIMIT over the protected output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

Value = str | int | float | bool | date | datetime | None


@dataclass(frozen=True)
class Col:
    """A column of a table in the query, as the engine reads it."""

    table: str  # the policy's table name
    alias: str  # how the generated SQL names that table
    name: str
    type: str  # DuckDB type of the column


@dataclass(frozen=True)
class Operand:
    """A column, or one of the declared bucketings of it (docs/zone.md lists them):

    year / quarter / month / day / dayofweek / hour — a part of a date or time, as a number;
    trunc (arg: year, quarter, month, week, day) — a date truncated, as a date;
    format (arg: a strftime pattern from a fixed list) — a date as text;
    band (arg: width) — a number to the lower bound of its band;
    prefix (arg: length) — text to its first characters;
    case (arg: ((op, threshold, label), …, default)) — a number or date to labelled ranges."""

    col: Col
    fn: str | None = None
    arg: object = None
    type: str = ""  # the type of the bucketed value
    label: str = ""  # how the output names it


@dataclass(frozen=True)
class Compare:
    op: str  # = <> < <= > >=
    left: Operand
    value: Value


@dataclass(frozen=True)
class InList:
    left: Operand
    values: tuple


@dataclass(frozen=True)
class Between:
    left: Operand
    low: Value
    high: Value


@dataclass(frozen=True)
class Prefix:
    """LIKE 'abc%'."""

    left: Operand
    prefix: str


@dataclass(frozen=True)
class IsNull:
    left: Operand


@dataclass(frozen=True)
class Truth:
    """TRUE or FALSE written as a condition."""

    value: bool


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


Filter = Compare | InList | Between | Prefix | IsNull | Truth | And | Or | Not


@dataclass(frozen=True)
class Measure:
    """count (rows; col None) / count_col / units (COUNT(DISTINCT unit)) / sum / avg /
    quantile (DP only, alpha set)."""

    kind: str
    col: Col | None = None
    alpha: float | None = None
    label: str = ""


# Output expressions over the protected answer.
@dataclass(frozen=True)
class KeyRef:
    index: int


@dataclass(frozen=True)
class MeasureRef:
    index: int


@dataclass(frozen=True)
class Const:
    value: Value


@dataclass(frozen=True)
class Arith:
    op: str  # + - * /
    left: object
    right: object


@dataclass(frozen=True)
class Round:
    expr: object
    digits: int


@dataclass(frozen=True)
class Output:
    name: str
    expr: object  # KeyRef | MeasureRef | Const | Arith | Round
    type: str = ""  # "key", "count", "number"


@dataclass(frozen=True)
class Having:
    """A comparison over output expressions, combined with And/Or/Not."""

    op: str
    expr: object
    value: Value


@dataclass(frozen=True)
class Order:
    expr: object  # an output expression
    desc: bool = False


@dataclass(frozen=True)
class Source:
    name: str  # policy table
    alias: str


@dataclass(frozen=True)
class JoinUse:
    """The declared join a query uses, with the side it keeps when unmatched."""

    left: Col
    right: Col
    kind: str = "inner"  # "inner" | "left"


@dataclass(frozen=True)
class Query:
    form: str
    sources: tuple[Source, ...]
    join: JoinUse | None = None
    where: Filter | None = None
    keys: tuple[Operand, ...] = ()
    measures: tuple[Measure, ...] = ()
    outputs: tuple[Output, ...] = ()
    having: object = None  # Having | And | Or | Not
    order: tuple[Order, ...] = ()
    limit: int | None = None
    offset: int = 0
    projections: tuple[Col, ...] = ()  # de-identified records and model outputs
    names: tuple[str, ...] = ()  # their output names
    used: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (table, column)
