"""数据泄露溯源 — recipient-specific watermarks in record-level deliveries, and their trace.

Pure library (pyarrow only, no Django). A delivery of records to one recipient is marked so
that a leaked copy — a subset of its rows, reordered, with columns dropped or renamed, and
round-tripped through CSV or Excel — names the recipient, with a p-value.

The mark (docs/adr/0009-watermark-parity-of-keyed-rows.md):

- Every row gets one bit from the row's key value and the recipient, keyed: the parity of
  (BLAKE2b of the row key) AND (the recipient's mask), both secret. Without the key the bits
  look like coin flips.
- In each marked numeric column, the value is moved to the nearest multiple of the column's
  step whose parity (⌊v/step⌉ mod 2) equals that bit. A value on the step grid (amounts in
  fen at step 0.01) moves by 0 or one step, never more than the declared tolerance. Without a
  declared tolerance, a floating-point column is marked in the last decimal place its values
  carry (a rate of 0.0347 by 0.0001, never to 0.03), only where that is at most 1% of the
  value (`MAX_RELATIVE`; a rate of 0.0003 stays as it is); whole numbers are left alone.
- The trace recomputes each row's parity from the leaked values, takes the majority over the
  marked columns, and counts for every candidate how many rows agree with its bits. For an
  innocent candidate that count is Binomial(n, 1/2) whatever the data, because its bits are
  independent of the file; the exact tail is its p-value, multiplied by the number of
  candidates tested (Bonferroni, valid however the candidates' bits depend on one another).

Example:

>>> import pyarrow as pa
>>> t = pa.table({"id": [f"r{i}" for i in range(400)], "amount": [i * 1.25 for i in range(400)]})
>>> marked = embed(t, key=b"k" * 32, recipient="alice", key_column="id")
>>> leak = marked.slice(100, 60)
>>> best = trace(leak, key=b"k" * 32, candidates=["bob", "alice", "carol"], key_column="id")[0]
>>> best.recipient, best.p_value < 1e-12
('alice', True)
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa

from pdao.watermark.stats import bonferroni, upper_tail

__all__ = ["DEFAULT_STEP", "Suspect", "WatermarkError", "embed", "mark_id", "trace"]

DEFAULT_STEP = 0.01  # the step tried for a column whose precision cannot be read
MAX_PLACES = 6  # the finest step a column's own precision gives: 10⁻⁶
MAX_RELATIVE = 0.01  # without a declared tolerance, no value moves by more than 1% of itself
MIN_AGREEMENT = 0.8  # a column joins the vote when its parities agree this often with it
MIN_ROWS = 10  # fewer usable rows than this cannot accuse anyone


class WatermarkError(ValueError):
    """The table cannot be marked or traced (no key column, nothing numeric to carry a mark)."""


@dataclass(frozen=True)
class Suspect:
    """One candidate recipient, as the trace ranks it."""

    recipient: str
    agreeing: int  # rows whose parity matches this recipient's bits
    rows: int  # rows with a usable vote
    p_single: float  # P(one innocent recipient agrees on ≥ `agreeing` rows)
    p_value: float  # P(any of the innocent candidates does): the figure to act on


# --- Keyed bits -------------------------------------------------------------------------------
# Each row key hashes once to a secret 128-bit vector h (BLAKE2b keyed by the platform key);
# each recipient has a secret 128-bit mask m (HMAC-SHA256 of its id). The row's bit is the
# parity of h AND m: for two different masks the bits are independent fair coins over rows,
# so an innocent candidate agrees with a marked file like a coin, and testing a thousand
# candidates costs a popcount per row each instead of a hash.


def _row_hashes(key: bytes, keys: Sequence[str | None]) -> list[int | None]:
    row_key = hashlib.sha256(b"pdao-watermark-rows\0" + key).digest()
    return [
        None
        if k is None
        else int.from_bytes(hashlib.blake2b(k.encode(), key=row_key, digest_size=16).digest())
        for k in keys
    ]


def _masks(key: bytes, recipient: str) -> tuple[int, int]:
    """The recipient's mark mask and its tie-break mask."""
    digest = hmac.new(key, b"pdao-watermark\0" + recipient.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:16]) | 1, int.from_bytes(digest[16:]) | 1


def mark_id(key: bytes, recipient: str) -> str:
    """A public identifier of a recipient's mark, recorded with each delivery (reveals no bit)."""
    return hmac.new(key, b"pdao-watermark-id\0" + recipient.encode(), hashlib.sha256).hexdigest()[
        :16
    ]


def _row_key(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():  # an integer key read back as 12.0 from a spreadsheet
            value = int(value)
    text = str(value).strip()
    return text or None


# --- Embed ------------------------------------------------------------------------------------


def _decimals(step: float) -> int:
    exponent = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _is_numeric(dtype: pa.DataType) -> bool:
    return pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)


def own_step(values) -> float | None:
    """The step of a column's own precision: one unit of the last decimal place its values
    carry (0.0347 and 0.12 → 0.0001), at most MAX_PLACES places; None when every value is a
    whole number (nothing below the units to mark in)."""
    places = 0
    for value in values:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            continue
        exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
        places = max(places, min(MAX_PLACES, -int(exponent)))
        if places == MAX_PLACES:
            break
    return 10.0**-places if places else None


def _steps(table: pa.Table, key_column: str, tolerances: Mapping[str, float] | None):
    """Columns to mark with their step: the declared ones, or every float column with decimals
    at its own precision."""
    if tolerances is None:
        steps = {}
        for f in table.schema:
            if f.name != key_column and pa.types.is_floating(f.type):
                step = own_step(table.column(f.name).to_pylist())
                if step is not None:
                    steps[f.name] = step
        return steps
    steps = {}
    for name, tolerance in tolerances.items():
        if name not in table.column_names or name == key_column:
            continue
        if not _is_numeric(table.schema.field(name).type):
            raise WatermarkError(f"column {name!r} is not numeric and cannot carry a mark")
        if not tolerance > 0:
            raise WatermarkError(f"tolerance of {name!r} must be positive")
        if pa.types.is_integer(table.schema.field(name).type):
            tolerance = float(max(1, math.floor(tolerance)))
        steps[name] = float(tolerance)
    return steps


def _move(value: float, step: float, bit: int, direction: int) -> float:
    """The multiple of `step` nearest to `value` whose index has parity `bit` (≤ one step away)."""
    exact = value / step
    m = math.floor(exact + 0.5)
    if m % 2 != bit:
        frac = exact - m
        if frac > 0 or (frac == 0 and direction):
            m += 1
        else:
            m -= 1
        if m < 0 <= value:  # never push a non-negative amount below zero
            m += 2
    return m * step


def embed(
    table: pa.Table,
    *,
    key: bytes,
    recipient: str,
    key_column: str,
    tolerances: Mapping[str, float] | None = None,
) -> pa.Table:
    """Return `table` with `recipient`'s mark in its numeric columns.

    Args:
        table: the records to deliver; `key_column` must identify rows (a pseudonym, an id).
        key: the platform's watermark key (32 bytes or more; never given to recipients).
        recipient: who receives this copy (a stable id: the same one the trace will test).
        key_column: the column whose value seeds each row's bit; it is left unchanged.
        tolerances: column → the largest change allowed (and the step of the mark). None marks
            every floating-point column with decimals in its own last decimal place, where that
            is at most 1% of the value. Integer columns take whole steps.

    Returns:
        A table of the same schema. Nulls and the key column are untouched.
    """
    if key_column not in table.column_names:
        raise WatermarkError(f"key column {key_column!r} is missing")
    steps = _steps(table, key_column, tolerances)
    if not steps:
        return table
    relative = tolerances is None  # declared tolerances are absolute, and the owner's choice
    mask, tie = _masks(key, recipient)
    hashes = _row_hashes(key, [_row_key(v) for v in table.column(key_column).to_pylist()])
    columns = {}
    for name, step in steps.items():
        field = table.schema.field(name)
        places = _decimals(step)
        out = []
        for value, h in zip(table.column(name).to_pylist(), hashes, strict=True):
            if value is None or h is None or (isinstance(value, float) and math.isnan(value)):
                out.append(value)
                continue
            if relative and step > MAX_RELATIVE * abs(float(value)):
                out.append(value)  # too small a value to move by a step
                continue
            bit, direction = (h & mask).bit_count() & 1, (h & tie).bit_count() & 1
            moved = _move(float(value), step, bit, direction)
            if pa.types.is_integer(field.type):
                out.append(round(moved))
            elif pa.types.is_decimal(field.type):
                out.append(Decimal(str(round(moved, places))))
            else:
                out.append(round(moved, places))
        columns[name] = pa.array(out, type=field.type)
    return pa.table(
        [columns.get(n, table.column(n)) for n in table.column_names], schema=table.schema
    )


# --- Trace ------------------------------------------------------------------------------------


def _as_floats(column: pa.ChunkedArray) -> list[float | None] | None:
    """The column's values as floats, or None when under 90% of them read as numbers (a CSV
    reader may hand numbers back as text)."""
    if _is_numeric(column.type):
        values = [None if v is None else float(v) for v in column.to_pylist()]
    else:
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            return None
        values = []
        for v in column.to_pylist():
            try:
                values.append(float(str(v).replace(",", "")) if v not in (None, "") else None)
            except ValueError:
                values.append(None)
    present = [v for v in values if v is not None and not math.isnan(v)]
    if not present or len(present) < 0.9 * len(values):
        return None
    return [None if v is None or math.isnan(v) else v for v in values]


def _parities(values: list[float | None], step: float) -> list[int | None]:
    return [None if v is None else math.floor(v / step + 0.5) % 2 for v in values]


def _agreement(a: list[int | None], b: list[int | None]) -> tuple[int, int]:
    both = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    return sum(x == y for x, y in both), len(both)


def _vote(parities: list[list[int | None]]) -> list[int | None]:
    out: list[int | None] = []
    for row in zip(*parities, strict=True):
        ones = sum(1 for p in row if p == 1)
        zeros = sum(1 for p in row if p == 0)
        out.append(None if ones == zeros else int(ones > zeros))
    return out


def _degenerate(parities: list[int | None]) -> bool:
    """A column that is all even or all odd at this step (integers at step 0.01) carries no
    mark: its parity would be a constant vote."""
    seen = [p for p in parities if p is not None]
    return not seen or max(seen.count(0), seen.count(1)) > 0.95 * len(seen)


def _votes(
    numeric: dict[str, list[float | None]], steps: Mapping[str, float]
) -> list[list[int | None]]:
    """Row votes, each a reading of which columns carry the mark; chosen from the data alone,
    never from a candidate, so an innocent candidate's agreement stays Binomial(n, 1/2).

    Named columns with a known step form the reference; a renamed or undeclared column joins
    when, at one of the known steps, its parities agree with the reference. Without any named
    column, every (column, step) reading whose parities agree with another's joins a group;
    when nothing agrees, each reading is its own hypothesis (and the p-values pay for it).
    """
    known = {
        name: _parities(values, steps[name])
        for name, values in numeric.items()
        if name in steps and not _degenerate(_parities(values, steps[name]))
    }
    trial_steps = sorted(set(steps.values())) or [DEFAULT_STEP]
    readings = {
        (name, step): _parities(values, step)
        for name, values in numeric.items()
        if name not in known
        for step in trial_steps
    }
    readings = {h: p for h, p in readings.items() if not _degenerate(p)}
    if known:
        reference = _vote(list(known.values()))
        chosen = list(known.values())
        for name in {h[0] for h in readings}:
            best = None
            for (col, _step), p in readings.items():
                if col != name:
                    continue
                same, n = _agreement(p, reference)
                if n >= MIN_ROWS and same >= MIN_AGREEMENT * n and (best is None or same > best[0]):
                    best = (same, p)
            if best:
                chosen.append(best[1])
        return [_vote(chosen)]
    hypotheses = list(readings.items())
    for i, (h, p) in enumerate(hypotheses):
        group = [p]
        for h2, p2 in hypotheses[i + 1 :]:
            if h2[0] == h[0]:
                continue
            same, n = _agreement(p, p2)
            if n >= MIN_ROWS and same >= MIN_AGREEMENT * n:
                group.append(p2)
        if len(group) > 1:
            return [_vote(group)]
    return [p for _h, p in hypotheses]


def _bit_columns(hashes: list[int | None]) -> list[int]:
    """Transpose the rows' 128-bit hashes into 128 row bitsets (bit r of column j is bit j of
    row r's hash), so one candidate's bits over all rows are the XOR of its mask's columns."""
    import numpy as np

    # Row by row, OR-ing one bit into a growing integer is quadratic in the rows (a 50 MB
    # leaked file took minutes); transposing a byte of every hash at a time with numpy is not.
    raw = b"".join(bytes(16) if h is None else h.to_bytes(16, "little") for h in hashes)
    table = np.frombuffer(raw, dtype=np.uint8).reshape(len(hashes), 16)
    columns = []
    for byte in range(16):
        bits = np.unpackbits(table[:, byte : byte + 1], axis=1, bitorder="little")
        for bit in range(8):
            packed = np.packbits(bits[:, bit], bitorder="little").tobytes()
            columns.append(int.from_bytes(packed, "little"))
    return columns


def _candidate_bits(columns: list[int], mask: int) -> int:
    bits = 0
    while mask:
        low = mask & -mask
        bits ^= columns[low.bit_length() - 1]
        mask ^= low
    return bits


def _packed(vote: list[int | None]) -> tuple[int, int]:
    """A vote as two bitsets: rows with a vote, and rows voting 1."""
    import numpy as np

    # As in _bit_columns: one bitset built at once, not a bit at a time (quadratic in rows).
    def bitset(flags: list[bool]) -> int:
        packed = np.packbits(np.array(flags, dtype=np.uint8), bitorder="little").tobytes()
        return int.from_bytes(packed, "little")

    return bitset([v is not None for v in vote]), bitset([bool(v) for v in vote])


def trace(
    table: pa.Table,
    *,
    key: bytes,
    candidates: Sequence[str],
    key_column: str,
    tolerances: Mapping[str, float] | None = None,
) -> list[Suspect]:
    """Rank `candidates` by how well a (leaked) table carries their mark.

    Args:
        table: the suspicious copy, as read back from CSV/Excel (numbers as text are fine).
        key: the watermark key the deliveries were marked with.
        candidates: the recipients to test (everyone who received the product, say).
        key_column: the name of the column identifying rows in the leaked copy.
        tolerances: the steps used at embed (by column name); None means each numeric
            column's own precision, as at embed (columns of whole numbers carry no mark).

    Returns:
        One Suspect per candidate, best first. `p_value` is the probability that some innocent
        candidate scores at least as well: act on it, not on the rank.
    """
    if key_column not in table.column_names:
        raise WatermarkError(f"key column {key_column!r} is missing")
    keys = [_row_key(v) for v in table.column(key_column).to_pylist()]
    first: dict[str, int] = {}
    for i, k in enumerate(keys):  # each row key counts once
        if k is not None and k not in first:
            first[k] = i
    rows = sorted(first.values())
    table = table.take(pa.array(rows, type=pa.int64())) if rows else table.slice(0, 0)
    keys = [keys[i] for i in rows]
    numeric = {}
    for name in table.column_names:
        if name == key_column:
            continue
        values = _as_floats(table.column(name))
        if values is not None:
            numeric[name] = values
    if not numeric:
        raise WatermarkError("no numeric column left to carry a mark")
    if tolerances is not None:
        steps = dict(tolerances)
    else:
        steps = {n: step for n, values in numeric.items() if (step := own_step(values))}
        for name, step in steps.items():  # values too small to have been moved carry nothing
            numeric[name] = [
                None if v is None or step > MAX_RELATIVE * abs(v) else v for v in numeric[name]
            ]
    votes = _votes(numeric, steps)
    if not votes:
        raise WatermarkError("no numeric column carries a readable mark")
    tests = max(1, len(candidates)) * len(votes)
    hashes = _row_hashes(key, keys)
    columns = _bit_columns(hashes)
    readings = [_packed(vote) for vote in votes]
    suspects = []
    for recipient in candidates:
        bits = _candidate_bits(columns, _masks(key, recipient)[0])
        best = None
        for valid, ones in readings:
            n = valid.bit_count()
            same = (~(bits ^ ones) & valid).bit_count()
            p = upper_tail(same, n) if n >= MIN_ROWS else 1.0
            if best is None or p < best[2]:
                best = (same, n, p)
        same, n, p = best
        suspects.append(Suspect(recipient, same, n, p, bonferroni(p, tests)))
    suspects.sort(key=lambda s: (s.p_single, -s.agreeing, s.recipient))
    return suspects
