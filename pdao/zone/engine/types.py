"""What the engine is given (a `Policy` of `TablePolicy`s and declared `Join`s) and what it
gives back (`Released`, `Refused`, `Derived`, `Prepared`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

FORMS = ("aggregate", "dp", "deidentified", "model")
UNIT_KEY = "__uk"  # the keyed hash of the privacy unit, written into the zone's copy of a table


def unit_key_column(index: int) -> str:
    """The key column of a table's `index`-th privacy unit (a derived dataset may carry two)."""
    return UNIT_KEY if index == 0 else f"{UNIT_KEY}{index}"


@dataclass(frozen=True)
class TablePolicy:
    """One table as an authorization sees it.

    `path` is the zone's copy of the active version (`prepare`), which carries a keyed hash of
    each privacy unit beside the data; a table declared non-personal (`privacy_unit` None) is
    read from its version as it is and answered exactly."""

    path: str
    columns: Mapping[str, frozenset[str]]  # authorized column → output forms it allows
    types: Mapping[str, str]  # column → DuckDB type
    privacy_unit: str | None  # the column naming the person or entity a row is about
    identifiers: frozenset[str] = frozenset()  # direct identifiers: never filtered or grouped on
    quasi_identifiers: frozenset[str] = frozenset()  # generalised in records, k-anonymous
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # declared ranges
    categories: Mapping[str, tuple] = field(default_factory=dict)  # declared value sets
    derived: bool = False  # made in the zone (a derived dataset: a model's results, say)
    extra_units: tuple[str, ...] = ()  # further unit columns of a derived dataset over a join
    # Where each unit's people come from, for the register of released values (history.py):
    # a resource for a catalogue table (every version), its sources' roots for a derived
    # dataset. Empty: the table's own path.
    roots: tuple[str, ...] = ()
    # Columns a derived dataset computed (not a source column's own values, by lineage):
    # group keys and filters, where low-effect detection judges them, never measured.
    computed: frozenset[str] = frozenset()

    @property
    def personal(self) -> bool:
        return self.privacy_unit is not None

    @property
    def units(self) -> tuple[str, ...]:
        return ((self.privacy_unit,) if self.privacy_unit else ()) + tuple(self.extra_units)

    def root(self, index: int) -> str:
        return self.roots[index] if index < len(self.roots) else f"{self.path}#{index}"

    def protected(self, column: str) -> bool:
        """Never in a filter, a group key, an order, a join or a measure: the privacy units
        and the direct identifiers."""
        return column in self.units or column in self.identifiers


@dataclass(frozen=True)
class Join:
    """A join the bureau declared: `left.left_column = right.right_column`, a fact table to a
    dimension table (the right side is expected to be unique on its column)."""

    left: str
    left_column: str
    right: str
    right_column: str


@dataclass(frozen=True)
class Perturbation:
    """The cell key method's published parameters (docs/zone.md): counts move by at most
    `D` with variance `V`; sums move by `mu` times the largest unit's contribution times a draw
    from the same table spread evenly over each step."""

    D: int = 4
    V: float = 3.0
    mu: float = 0.5


@dataclass(frozen=True)
class Policy:
    """What an authorization allows, as the engine needs it."""

    tables: Mapping[str, TablePolicy]
    joins: tuple[Join, ...] = ()
    k: int = 10
    dominance_n: int = 2
    dominance_k: float = 0.90
    p_ratio: float = 0.10
    perturbation: Perturbation = field(default_factory=Perturbation)
    noise_key: bytes = b""  # the same for every authorization: one cell, one noise
    epsilon_left: float = 0.0
    epsilon_per_query: float = 0.5
    epsilon_min: float = 0.01  # the agreement's bounds on ε per query
    epsilon_max: float = 1.0
    contributions: int = 1  # rows per privacy unit kept in a DP query
    pseudonym_key: bytes = b""
    memory_limit: str = "1GB"
    threads: int = 2
    timeout_seconds: float = 30.0
    max_rows: int = 10_000
    # The register of released values (history.py): history(family, codes, least, most)
    # returns the remembered numbers of `family` that share one of `codes` and have between
    # least and most contributors, as dicts with "id", "contributors", "codes", "sketch" and
    # "value". None: no register (each answer stands alone).
    history: object = None


@dataclass(frozen=True)
class Released:
    columns: list[str]
    rows: list[list]
    form: str
    suppressed_cells: int = 0
    suppression: list[str] = field(default_factory=list)  # why, per suppressed cell (no values)
    notes: list[str] = field(default_factory=list)  # how the answer was protected
    epsilon_spent: float = 0.0
    epsilon_left: float = 0.0
    tables: list[str] = field(default_factory=list)
    columns_used: list[str] = field(default_factory=list)
    rows_scanned: int = 0
    seconds: float = 0.0
    # (table, measure, group key, least true unit count) per released cell: kept for the
    # supervisor's spot checks, never shown to the operator.
    cells: list[tuple] = field(default_factory=list)
    # The numbers to add to the register (history.py): {"family", "values"} or None.
    remember: dict | None = None
    # Numbers answered with an earlier number's value because fewer than k people apart but
    # not the same: pairs someone built, or a threshold moved by little (for the supervisor).
    near: int = 0
    # Cells one or a few people from a remembered cell that showed while it did not, or the
    # other way round: near k, the signature of a pair built around one person (docs/zone.md).
    flips: int = 0
    decision: str = "released"


@dataclass(frozen=True)
class Refused:
    rule: str  # stable code, e.g. "columns.unauthorized"
    message: str  # Chinese; never a data value
    tables: list[str] = field(default_factory=list)
    columns_used: list[str] = field(default_factory=list)
    seconds: float = 0.0
    epsilon_spent: float = 0.0  # a DP query refused after it ran has still spent
    decision: str = "refused"


@dataclass(frozen=True)
class Derived:
    """A dataset made in the zone (数据治理), written as Parquet that stays in the zone."""

    path: str
    sha256: str
    columns: dict[str, dict]  # name → {"type", "sources", "bounds", "categories", ...}
    units: tuple[str, ...]  # its privacy-unit columns, found by lineage
    size: int | None  # never said (None): a derived dataset's size is asked in a query
    one_per_unit: bool  # one row per unit (a model table keyed by its unit)
    tables: list[str]
    roots: tuple[str, ...] = ()  # each unit's root (TablePolicy.roots), by lineage
    decision: str = "derived"


@dataclass(frozen=True)
class Prepared:
    """The zone's copy of a version: the data plus the keyed hash of each privacy unit."""

    path: str
    rows: int
    units: int
    max_rows_per_unit: int
