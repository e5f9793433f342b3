"""The locked DuckDB connection every query runs in, the wall-clock limit, and the table facts
the zone's copies carry in their Parquet footers."""

from __future__ import annotations

import contextvars
import functools
import os
import threading
import time
from pathlib import Path

import duckdb

from pdao.zone.engine import sql
from pdao.zone.engine.errors import refuse
from pdao.zone.engine.types import Policy, TablePolicy, unit_key_column


def connect(policy: Policy, views: dict[str, tuple[TablePolicy, list[str]]]):
    """A connection that reads only the named columns of the given files, through views named
    as the generated SQL names them. Locked in the order DuckDB needs (DESIGN.md): allowed
    directories, external access off, limits, then the configuration itself."""
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    directories = set()
    for view, (table, columns) in views.items():
        listed = ", ".join(sql.ident(c) for c in dict.fromkeys(columns))
        source = f"read_parquet({sql.string(table.path)})"
        con.execute(f"CREATE VIEW {sql.ident(view)} AS SELECT {listed} FROM {source}")
        directories.add(str(Path(table.path).parent) + "/")
    listed = ", ".join(sql.string(d) for d in sorted(directories))
    con.execute(f"SET allowed_directories=[{listed}]")
    con.execute("SET enable_external_access=false")
    con.execute(f"SET memory_limit={sql.string(policy.memory_limit)}")
    con.execute(f"SET threads={int(policy.threads)}")
    con.execute("SET preserve_insertion_order=false")
    con.execute("SET lock_configuration=true")
    return con


def view_columns(table: TablePolicy, used: set[str]) -> list[str]:
    """What a view exposes: the columns the query uses, and the unit keys the engine counts."""
    keys = [unit_key_column(i) for i in range(len(table.units))] if table.personal else []
    return [*sorted(used), *keys]


# When the query being executed must end (engine.execute sets it): every statement of one
# answer — the scan, low-effect detection, the recomputed cells — shares one wall clock.
DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


def timed(con, policy: Policy, work):
    """Run `work()` under the wall-clock limit (a timer interrupts it), mapping DuckDB's errors
    to rules: its messages can quote values, so only the kind leaves the engine. The SQL the
    engine generates cannot fail on a value; what remains is time and memory. Within a query,
    the limit is what is left of the query's own (DEADLINE)."""
    deadline = DEADLINE.get()
    seconds = policy.timeout_seconds if deadline is None else deadline - time.monotonic()
    if seconds <= 0:
        refuse("limits.timeout", f"查询超过 {policy.timeout_seconds:g} 秒，已中断")
    timer = threading.Timer(seconds, con.interrupt)
    timer.start()
    try:
        return work()
    except duckdb.InterruptException:
        refuse("limits.timeout", f"查询超过 {policy.timeout_seconds:g} 秒，已中断")
    except duckdb.OutOfMemoryException:
        refuse("limits.memory", "查询超过内存上限，已中断")
    except duckdb.Error as error:
        refuse("sql.execution", f"查询执行失败({type(error).__name__})")
    finally:
        timer.cancel()


def fetch(con, text: str, policy: Policy, limit: int) -> tuple[list[str], list[tuple]]:
    def work():
        cursor = con.execute(text)
        return [d[0] for d in cursor.description], cursor.fetchmany(limit + 1)

    columns, rows = timed(con, policy, work)
    if len(rows) > limit:
        refuse("limits.rows", f"结果超过 {limit} 行，请增加筛选或使用更粗的分组")
    return columns, rows


@functools.lru_cache(maxsize=512)
def _facts(path: str, mtime: float, size: int) -> dict:
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)
    extra = {k.decode(): v.decode() for k, v in (meta.metadata or {}).items()}
    rows = meta.num_rows
    return {
        "rows": rows,
        "units": int(extra.get("pdao.units", -1)),
        "max_rows_per_unit": int(extra.get("pdao.max_rows_per_unit", -1)),
        "prepared": extra.get("pdao.prepared") == "1",
    }


def facts(table: TablePolicy) -> dict:
    """Rows, units and the most rows one unit has, from the footer of the zone's copy (written
    by `prepare`): read in a millisecond, cached while the file is unchanged."""
    stat = os.stat(table.path)
    return _facts(table.path, stat.st_mtime, stat.st_size)


def extent(table: TablePolicy, column: str):
    """The column's least and greatest value in the version (its Parquet statistics, written
    with the file; read in a millisecond), or None. Version metadata, like its row count: the
    same for every query, whatever it selects."""
    stat = os.stat(table.path)
    return _extent(table.path, stat.st_mtime, stat.st_size, column)


@functools.lru_cache(maxsize=512)
def _extent(path: str, mtime: float, size: int, column: str):
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    if column not in names:
        return None
    index = names.index(column)
    lows, highs = [], []
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(index).statistics
        if stats is None or not stats.has_min_max:
            return None
        lows.append(stats.min)
        highs.append(stats.max)
    return (min(lows), max(highs)) if lows else None


def one_row_per_unit(table: TablePolicy) -> bool:
    found = facts(table)
    return len(table.units) == 1 and found["prepared"] and found["max_rows_per_unit"] == 1
