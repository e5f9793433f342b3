"""The locked DuckDB connection every query runs in, the wall-clock limit, and the table facts
the zone's copies carry in their Parquet footers."""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
import os
import threading
import time
from pathlib import Path

import duckdb

from pdao.zone.engine import sql
from pdao.zone.engine.errors import refuse
from pdao.zone.engine.types import Policy, TablePolicy, unit_key_column


def connect(policy: Policy, views: dict[str, tuple[TablePolicy, list[str]]]) -> Lease:
    """A connection that reads only the named columns of the given files, through views named
    as the generated SQL names them: a lease on a DuckDB database locked for exactly these
    files' directories and the policy's limits, which no other query uses until the caller
    closes it. Its views are TEMP and go when it closes."""
    directories = tuple(sorted({str(Path(table.path).parent) + "/" for table, _ in views.values()}))
    lease = _lease((directories, policy.memory_limit, int(policy.threads)))

    def create():
        for view, (table, columns) in views.items():
            listed = ", ".join(sql.ident(c) for c in dict.fromkeys(columns))
            source = f"read_parquet({sql.string(table.path)})"
            lease.cursor.execute(
                f"CREATE TEMP VIEW {sql.ident(view)} AS SELECT {listed} FROM {source}"
            )

    try:
        timed(lease, policy, create)  # a database at its memory limit refuses, never raises
    except BaseException:
        lease.close()
        raise
    return lease


# Opening a DuckDB database costs about 12 ms, more than a small table's whole answer, so a
# locked database is kept when its query ends, per (directories, memory limit, threads), and
# lent to the next query with the same key. What the lock guarantees is unchanged: a database
# reads only its directories, never the network or another file, and no statement changes its
# settings. A database serves one query at a time, so each query has the whole memory limit and
# no other query's spill files or load. A lease runs only single SELECT statements (the engine
# generates nothing else, translate.py's allow-list): nothing a query could create — a macro,
# a table, an attached database — can reach the next. Between queries a database caches no
# file data (the operating system's page cache does that). Forking closes the idle databases
# first: a DuckDB database's threads do not survive fork.
_KEPT = 8
_IDLE: dict[int, tuple[tuple, duckdb.DuckDBPyConnection]] = {}  # id → (key, database), oldest first
_LEASED: dict[int, Lease] = {}
_LOCK = threading.Lock()
_INHERITED: list = []  # leases of other threads at a fork: never used, closed or freed


class Lease:
    """One query's connection to a kept database: `execute` and `sql` run a single SELECT,
    `register` adds a table of this connection only; `close` gives the database back."""

    def __init__(self, key: tuple, database):
        self.key, self.database, self.cursor = key, database, database.cursor()

    def execute(self, text: str):
        return self.cursor.execute(self._select(text))

    def sql(self, text: str):
        return self.cursor.sql(self._select(text))

    def register(self, name: str, table):
        return self.cursor.register(name, table)

    def interrupt(self) -> None:
        """From the timer's thread: a timer that fires as the query ends finds it closed."""
        cursor = self.cursor
        if cursor is not None:
            with contextlib.suppress(duckdb.Error):
                cursor.interrupt()

    def close(self) -> None:
        if self.cursor is None:
            return
        self.cursor.close()
        self.cursor = None
        _give_back(self)

    def _select(self, text: str) -> str:
        kinds = [s.type for s in self.cursor.extract_statements(text)]
        if kinds != [duckdb.StatementType.SELECT]:
            raise duckdb.InvalidInputException("the zone runs single SELECT statements only")
        return text


def _lease(key: tuple) -> Lease:
    with _LOCK:
        found = next((i for i, (k, _) in reversed(_IDLE.items()) if k == key), None)
        database = _IDLE.pop(found)[1] if found is not None else None
    lease = Lease(key, database if database is not None else _lock(*key))
    with _LOCK:
        _LEASED[id(lease)] = lease
    return lease


def _give_back(lease: Lease) -> None:
    with _LOCK:
        _LEASED.pop(id(lease), None)
        _IDLE[id(lease.database)] = (lease.key, lease.database)
        evicted = [_IDLE.pop(next(iter(_IDLE)))[1] for _ in range(len(_IDLE) - _KEPT)]
    for database in evicted:
        database.close()


def _lock(directories: tuple[str, ...], memory_limit: str, threads: int):
    """A database locked in the order DuckDB needs (DESIGN.md): allowed directories, external
    access off, limits, then the configuration itself."""
    database = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    listed = ", ".join(sql.string(d) for d in directories)
    database.execute(f"SET allowed_directories=[{listed}]")
    database.execute("SET enable_external_access=false")
    database.execute(f"SET memory_limit={sql.string(memory_limit)}")
    database.execute(f"SET threads={threads}")
    database.execute("SET preserve_insertion_order=false")
    database.execute("SET enable_external_file_cache=false")  # a kept database holds no data
    database.execute("SET lock_configuration=true")
    return database


def _before_fork() -> None:
    with _LOCK:
        idle = [database for _, database in _IDLE.values()]
        _IDLE.clear()
    for database in idle:
        database.close()


def _after_fork_in_child() -> None:
    global _LOCK
    _LOCK = threading.Lock()  # another thread may have held it at the fork
    # Queries other threads were running: their databases' threads are gone, so they must
    # never be closed or freed here (DuckDB would wait for them or abort).
    for lease in _LEASED.values():
        for held in (lease, lease.cursor, lease.database):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(held))
        _INHERITED.append(lease)
    _LEASED.clear()


os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


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
