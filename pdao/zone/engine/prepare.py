"""The zone's copy of a version: the same rows and columns plus, per privacy unit, a keyed hash
(`__uk`) that the cell key method sums and the engine groups people by, and in the footer the
facts the engine plans with (rows, units, the most rows one unit has).

The key is `md5_number_lower(secret ‖ unit)` in DuckDB: the secret is derived from the
platform's noise key, so the same person has the same key in every table and version (a new
version of unchanged data redraws no noise), and no one without the secret can compute it.
The version file itself, hashed and anchored on the ledger, is left as the provider's data.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pdao.zone.engine import sql
from pdao.zone.engine.connect import _facts
from pdao.zone.engine.types import Prepared, unit_key_column


def unit_secret(noise_key: bytes) -> str:
    return hmac.new(noise_key, b"pdao-zone-unit-keys", hashlib.sha256).hexdigest()


def unit_key(expression: str, noise_key: bytes) -> str:
    """SQL for the unit key of a unit given as a SQL expression (NULL for a NULL unit)."""
    return (
        f"md5_number_lower({sql.string(unit_secret(noise_key))} || CAST({expression} AS VARCHAR))"
    )


def write(con, select: str, dest: Path, *, units: int | None, max_rows: int | None) -> Path:
    """COPY `select` to `dest` as read-only Parquet with the engine's facts in its footer,
    written under a temporary name and renamed, so a reader never sees half a file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged = (
        dest.parent / f".{dest.name}.{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"
    )
    meta = {"pdao.prepared": "1"}
    if units is not None:
        meta |= {"pdao.units": str(units), "pdao.max_rows_per_unit": str(max_rows)}
    listed = ", ".join(f"{sql.string(k)}: {sql.string(v)}" for k, v in meta.items())
    con.execute(
        f"COPY ({select}) TO {sql.string(str(staged))} "
        f"(FORMAT PARQUET, COMPRESSION ZSTD, KV_METADATA {{{listed}}})"
    )
    staged.chmod(0o444)
    staged.replace(dest)
    return dest


def prepare(
    source: Path,
    dest: Path,
    *,
    units: Sequence[str],
    noise_key: bytes,
    memory_limit: str = "1GB",
    threads: int = 2,
) -> Prepared:
    """Write the zone's copy of `source` to `dest` (left alone when it is already there).

    Args:
        source: the version's Parquet file.
        dest: where the copy goes (the caller names it by the version's hash).
        units: the privacy-unit columns (one for a catalogue table).
        noise_key: the platform's noise key.
    Returns:
        what the copy's footer says.
    """
    dest = Path(dest)
    if not dest.exists():
        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit={sql.string(memory_limit)}")
            con.execute(f"SET threads={int(threads)}")
            keys = ", ".join(
                f"{unit_key(sql.ident(u), noise_key)}::UBIGINT AS {sql.ident(unit_key_column(i))}"
                for i, u in enumerate(units)
            )
            body = f"SELECT *, {keys} FROM read_parquet({sql.string(str(source))})"
            first = sql.ident(units[0])
            counted, most = con.execute(
                f"SELECT count(DISTINCT u), coalesce(max(n), 0) FROM (SELECT {first} AS u, "
                f"count(*) AS n FROM read_parquet({sql.string(str(source))}) GROUP BY ALL)"
            ).fetchone()
            write(con, body, dest, units=int(counted), max_rows=int(most))
        finally:
            con.close()
    stat = os.stat(dest)
    found = _facts(str(dest), stat.st_mtime, stat.st_size)
    return Prepared(str(dest), found["rows"], found["units"], found["max_rows_per_unit"])
