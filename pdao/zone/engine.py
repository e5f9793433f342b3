"""The zone engine: SQL over public data that releases only what disclosure control allows.

Pure: sqlglot, DuckDB, OpenDP and the standard library; no Django. The caller (the workspace,
a product, the gateway) builds a `Policy` from an authorization's access decision and calls:

    result = run(sql, policy, form="aggregate")   # -> Released | Refused
    if isinstance(result, Refused): show(result.rule, result.message)

Every query goes through the same pipeline:

1. **Parse** with sqlglot (DuckDB dialect); exactly one statement, a query (SELECT, WITH,
   UNION); what runs is regenerated from the validated tree, so comments and anything hidden
   in them never reach DuckDB.
2. **Validate by allow-list**: every node type and function must be on a list; tables only
   the policy's logical names (no table functions, no quoted paths); columns resolved against
   the authorized schema only (a star expands to authorized columns only); each column used
   must allow the requested output form.
3. **Execute** in a DuckDB connection locked down before the query: views exposing only the
   authorized columns of the active Parquet versions, `allowed_directories` limited to those
   files, external access off, memory and thread limits, `lock_configuration`, and a
   wall-clock timeout that interrupts the query. DuckDB's messages can quote values, so they
   are mapped to a rule and never passed on.
4. **Disclosure control** by output form:
   * ``aggregate`` — see `_aggregate`: k distinct privacy units behind every cell (counted by
     the engine), dominance (n, k) and p-ratio rules for sums, secondary suppression so a
     suppressed cell cannot be recovered from what is released, a complement check on WHERE
     and a differencing guard against released history.
   * ``dp`` — see `_dp`: COUNT / SUM / AVG with per-unit contribution bounding, declared
     clamping bounds and group keys from declared category sets, Laplace noise through OpenDP,
     ε debited from the authorization's budget.
   * ``deidentified`` — see `_deidentified`: plain column projections only; identifiers as
     keyed pseudonyms, quasi-identifiers generalised, k-anonymity checked before release.

Supported shapes are listed in `SHAPES`; anything else is refused with that list.
"""

# The engine composes SQL by design, only from validated syntax trees, quoted identifiers and
# quoted literals; nothing the user typed is interpolated as text.
# ruff: noqa: S608

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

FORMS = ("aggregate", "dp", "deidentified", "model")
SHAPES = {
    "aggregate": "SELECT 分组列…, COUNT/SUM/AVG(列) FROM 表 [JOIN 表 ON …] [WHERE …] "
    "GROUP BY 分组列… [HAVING …] [ORDER BY …] [LIMIT n];聚合函数的参数只能是列或列的算术表达式",
    "dp": "SELECT 分组列…, COUNT(*)/COUNT(DISTINCT 隐私单元)/SUM(列)/AVG(列)/MEDIAN(列)/"
    "QUANTILE_CONT(列, q) FROM 表 [WHERE …] GROUP BY 分组列…(分组列须有声明的取值集合)",
    "deidentified": "SELECT 列, 列… FROM 表 [WHERE …] [LIMIT n](仅列本身,不含表达式)",
    "model": "SELECT 结果列… FROM 表 WHERE 隐私单元 = 值 [AND …](每次一个对象的模型结果,"
    "不含标识符)",
}
MAX_SQL_CHARS = 20_000


# --- Policy and results --------------------------------------------------------------------


@dataclass(frozen=True)
class TablePolicy:
    """One table as an authorization sees it."""

    path: str  # the active Parquet version
    columns: Mapping[str, frozenset[str]]  # authorized column → output forms it allows
    types: Mapping[str, str]  # column → DuckDB type
    privacy_unit: str  # the column naming the person or entity a row is about
    identifiers: frozenset[str] = frozenset()  # pseudonymised in de-identified records
    quasi_identifiers: frozenset[str] = frozenset()  # generalised, then k-anonymous
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # DP clamping
    categories: Mapping[str, tuple] = field(default_factory=dict)  # DP group-key domains
    derived: bool = False  # made in the zone (a derived dataset: a model's results, say)


@dataclass(frozen=True)
class Policy:
    """What an authorization allows, as the engine needs it."""

    tables: Mapping[str, TablePolicy]
    k: int = 10
    dominance_n: int = 2
    dominance_k: float = 0.90
    p_ratio: float = 0.10
    epsilon_left: float = 0.0
    epsilon_per_query: float = 0.5
    contributions: int = 1  # rows per privacy unit kept in a DP query
    pseudonym_key: bytes = b""
    memory_limit: str = "1GB"
    threads: int = 2
    timeout_seconds: float = 30.0
    max_rows: int = 10_000
    model_max_rows: int = 10  # a model output answers for one object per request
    # Released aggregate cells of earlier queries: signature → unit counts (differencing guard).
    history: Mapping[tuple, Sequence[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Released:
    columns: list[str]
    rows: list[list]
    form: str
    suppressed_cells: int = 0
    suppression: list[str] = field(default_factory=list)  # why, per suppressed cell (no values)
    epsilon_spent: float = 0.0
    epsilon_left: float = 0.0
    tables: list[str] = field(default_factory=list)
    columns_used: list[str] = field(default_factory=list)
    rows_scanned: int = 0
    seconds: float = 0.0
    cells: list[tuple] = field(default_factory=list)  # signatures to add to the history
    decision: str = "released"


@dataclass(frozen=True)
class Refused:
    rule: str  # stable code, e.g. "columns.unauthorized"
    message: str  # Chinese; never a data value
    tables: list[str] = field(default_factory=list)
    columns_used: list[str] = field(default_factory=list)
    seconds: float = 0.0
    decision: str = "refused"


class Refusal(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule, self.message = rule, message


# --- Validation ----------------------------------------------------------------------------------

# Node types a query may contain at all (structure, not functions).
_NODES = (
    exp.Select,
    exp.Union,
    exp.From,
    exp.Join,
    exp.Where,
    exp.Group,
    exp.Having,
    exp.Order,
    exp.Ordered,
    exp.Limit,
    exp.Offset,
    exp.Column,
    exp.Identifier,
    exp.Table,
    exp.TableAlias,
    exp.Alias,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Star,
    exp.With,
    exp.CTE,
    exp.Subquery,
    exp.Distinct,
    exp.DataType,
    exp.Var,
    exp.Tuple,
    exp.Interval,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.Neg,
    exp.DPipe,
    exp.IntDiv,
)
_AGGREGATES = {exp.Count: "count", exp.Sum: "sum", exp.Avg: "avg"}
# Quantiles name an individual's value: only the DP form answers them (with OpenDP).
_DP_QUANTILES = {exp.Median: "quantile", exp.PercentileCont: "quantile", exp.Quantile: "quantile"}
QUANTILE_CANDIDATES = 200  # evenly spaced over the declared range
_SCALARS = (
    exp.Case,
    exp.If,
    exp.Cast,
    exp.TryCast,
    exp.Coalesce,
    exp.Abs,
    exp.Round,
    exp.Floor,
    exp.Ceil,
    exp.Lower,
    exp.Upper,
    exp.Substring,
    exp.Length,
    exp.Trim,
    exp.Concat,
    exp.Year,
    exp.Month,
    exp.Day,
    exp.Quarter,
    exp.DateTrunc,
    exp.TimestampTrunc,
    exp.Extract,
    exp.Least,
    exp.Greatest,
    exp.StrToDate,
    exp.TimeToStr,
    exp.DayOfWeek,
    exp.Hour,
    exp.Left,
    exp.Right,
    exp.Nullif,
    exp.Sqrt,
    exp.Ln,
    exp.Log,
    exp.Pow,
    exp.DateDiff,
    exp.DateAdd,
    exp.DateSub,
    exp.CurrentDate,
    exp.Sign,
    exp.StrPosition,
    exp.Replace,
)
_ANONYMOUS = {"strftime", "date_part", "datepart", "date_trunc", "hour", "dayofweek", "isodow"}
_DENIED_HINT = {
    "min": "MIN/MAX 会输出个体的真实取值",
    "max": "MIN/MAX 会输出个体的真实取值",
    "string_agg": "拼接个体取值",
    "list": "输出个体取值列表",
    "array_agg": "输出个体取值列表",
    "any_value": "输出个体的真实取值",
    "first": "输出个体的真实取值",
    "last": "输出个体的真实取值",
    "arbitrary": "输出个体的真实取值",
    "group_concat": "拼接个体取值",
    "histogram": "输出个体取值",
    "mode": "输出个体的真实取值",
    "median": "中位数是个体的真实取值",
    "quantile": "分位数是个体的真实取值",
}


def _refuse(rule: str, message: str):
    raise Refusal(rule, message)


def _parse(sql: str) -> exp.Expression:
    if len(sql) > MAX_SQL_CHARS:
        _refuse("sql.too_long", f"SQL 超过 {MAX_SQL_CHARS} 个字符")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except (ParseError, SqlglotError):
        _refuse("sql.parse", "SQL 无法解析(按 DuckDB 语法)")
    if len(statements) != 1:
        _refuse("sql.one_statement", "只能提交一条查询语句")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.Union):
        _refuse("sql.not_a_query", "只允许查询(SELECT,可含 WITH 和 UNION),不允许其他语句")
    return tree


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


def _check_nodes(tree: exp.Expression, form: str) -> None:
    # Windows first, then functions, so the most telling rule is named (ROW_NUMBER() OVER …
    # is a window; ANY_VALUE(x) IGNORE NULLS a denied function).
    def rank(node) -> int:
        return (
            0
            if isinstance(node, exp.Window | exp.Lateral)
            else 1
            if isinstance(node, exp.Func)
            else 2
        )

    for node in sorted(tree.walk(), key=rank):
        if isinstance(node, exp.Window):
            _refuse("sql.window", "不支持窗口函数:窗口内可逐行输出个体取值")
        if isinstance(node, exp.Lateral):
            _refuse("sql.lateral", "不支持 LATERAL 连接")
        if isinstance(node, exp.Func) and isinstance(node.parent, exp.Table):
            _refuse("table.not_allowed", "只能查询授权的数据表,不能使用表函数、文件路径或其他库")
        if isinstance(node, exp.Table):
            if not isinstance(node.this, exp.Identifier) or node.args.get("db"):
                _refuse(
                    "table.not_allowed", "只能查询授权的数据表,不能使用表函数、文件路径或其他库"
                )
            continue
        if isinstance(node, exp.Join) and (node.args.get("kind") or "").upper() == "CROSS":
            _refuse("sql.cross_join", "不支持 CROSS JOIN")
        if form == "dp" and type(node) in _DP_QUANTILES:
            continue
        if type(node) in _AGGREGATES:
            if form in ("deidentified", "model"):
                _refuse("function.aggregate", "去标识化记录和模型输出不含聚合函数")
            continue
        if isinstance(node, _NODES) or (
            isinstance(node, _SCALARS) and not isinstance(node, exp.Anonymous)
        ):
            continue
        if isinstance(node, exp.Anonymous) and _function_name(node) in _ANONYMOUS:
            continue
        if isinstance(node, exp.Func):
            name = _function_name(node)
            hint = _DENIED_HINT.get(name)
            _refuse(
                "function.not_allowed",
                f"不允许的函数 {name.upper()}" + (f":{hint}" if hint else "(不在允许清单内)"),
            )
        _refuse("sql.not_allowed", f"不支持的语法:{type(node).__name__}")


def _schema(policy: Policy, form: str) -> dict:
    """The schema the query is resolved against: only the columns allowed in `form`, so a
    star expands to exactly those."""
    return {
        name: {c: t.types[c] for c, forms in t.columns.items() if form in forms}
        for name, t in policy.tables.items()
    }


def _qualified(tree: exp.Expression, policy: Policy, form: str) -> exp.Expression:
    names = {t.name for t in tree.find_all(exp.Table)}
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    unknown = sorted(names - set(policy.tables) - ctes)
    if unknown:
        _refuse("table.unauthorized", "不在授权范围内的数据表:" + "、".join(unknown))
    try:
        return qualify(
            tree,
            schema=_schema(policy, form),
            dialect="duckdb",
            validate_qualify_columns=True,
            quote_identifiers=True,
        )
    except OptimizeError as error:
        column = re.search(r"[Cc]olumn:? '?([^'\s.]+(?:\.[^'\s]+)?)'?", str(error))
        if column:
            name = column.group(1).split(".")[-1]
            if any(name in t.columns for t in policy.tables.values()):
                _refuse("columns.form_not_allowed", f"列「{name}」不允许以此输出形式使用")
            _refuse("columns.unauthorized", f"列不存在或不在授权范围内:{name}")
        _refuse("sql.unresolved", "无法确定列的来源(请为列加上表别名)")


@dataclass
class _Use:
    tables: set[str] = field(default_factory=set)
    columns: set[tuple[str, str]] = field(default_factory=set)  # (table, column)


def _base_columns(tree: exp.Expression, policy: Policy) -> _Use:
    """Every base-table column the query reads, in every scope (CTEs and subqueries too)."""
    use = _Use()
    root = build_scope(tree)
    if root is None:
        _refuse("sql.unresolved", "无法分析查询结构")
    for scope in root.traverse():
        for column in scope.columns:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table) and source.name in policy.tables:
                use.tables.add(source.name)
                use.columns.add((source.name, column.name))
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and source.name in policy.tables:
                use.tables.add(source.name)
    return use


def _check_forms(use: _Use, policy: Policy, form: str) -> None:
    for table, column in sorted(use.columns):
        allowed = policy.tables[table].columns.get(column, frozenset())
        if form not in allowed:
            _refuse("columns.form_not_allowed", f"列「{column}」不允许以此输出形式使用")


# --- Execution ----------------------------------------------------------------------------------


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _connect(policy: Policy, tables: set[str]) -> duckdb.DuckDBPyConnection:
    """A connection that can read only the authorized columns of the tables in use."""
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    directories = set()
    for name in sorted(tables):
        table = policy.tables[name]
        # The privacy unit is always in the view (the engine counts it), even when the
        # authorization does not let the query name it: the schema the query is resolved
        # against decides what it may name.
        visible = list(dict.fromkeys([*table.columns, table.privacy_unit]))
        columns = ", ".join(_ident(c) for c in visible)
        source = f"read_parquet({_literal(table.path)})"
        con.execute(f"CREATE VIEW {_ident(name)} AS SELECT {columns} FROM {source}")
        directories.add(str(Path(table.path).parent) + "/")
    listed = ", ".join(_literal(d) for d in sorted(directories))
    con.execute(f"SET allowed_directories=[{listed}]")
    con.execute("SET enable_external_access=false")
    con.execute(f"SET memory_limit={_literal(policy.memory_limit)}")
    con.execute(f"SET threads={int(policy.threads)}")
    con.execute("SET lock_configuration=true")
    return con


def _timed(con, policy: Policy, work):
    """Run `work()` on `con` under the wall-clock limit (a timer interrupts it), mapping
    DuckDB's errors to rules: its messages quote values, so only the kind leaves the engine."""
    timer = threading.Timer(policy.timeout_seconds, con.interrupt)
    timer.start()
    try:
        return work()
    except duckdb.InterruptException:
        _refuse("limits.timeout", f"查询超过 {policy.timeout_seconds:g} 秒,已中断")
    except duckdb.OutOfMemoryException:
        _refuse("limits.memory", "查询超过内存上限,已中断")
    except duckdb.Error as error:
        _refuse("sql.execution", f"查询执行失败({type(error).__name__})")
    finally:
        timer.cancel()


def _execute(con, sql: str, policy: Policy) -> tuple[list[str], list[tuple]]:
    def fetch():
        cursor = con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchmany(policy.max_rows + 1)

    columns, rows = _timed(con, policy, fetch)
    if len(rows) > policy.max_rows:
        _refuse("limits.rows", f"结果超过 {policy.max_rows} 行,请增加聚合或筛选")
    return columns, rows


def _from(select: exp.Select) -> exp.From:
    """The FROM clause (sqlglot 30 keeps it under "from_")."""
    clause = select.args.get("from_") or select.args.get("from")
    if clause is None:
        _refuse("shape.unsupported", "查询须有 FROM 子句")
    return clause


def _sql(tree: exp.Expression) -> str:
    return tree.sql(dialect="duckdb", comments=False)


# --- The pipeline -------------------------------------------------------------------------------


def run(sql: str, policy: Policy, *, form: str) -> Released | Refused:
    """Validate, execute and release `sql` under `policy` as `form`; never raises for bad SQL."""
    start = time.perf_counter()
    use = _Use()
    try:
        if form not in FORMS:
            _refuse("form.unknown", "未知的输出形式")
        tree = _parse(sql)
        _check_nodes(tree, form)
        tree = _qualified(tree, policy, form)
        use = _base_columns(tree, policy)
        _check_forms(use, policy, form)
        handler = {
            "aggregate": _aggregate,
            "dp": _dp,
            "deidentified": _deidentified,
            "model": _model,
        }[form]
        result = handler(tree, policy, use)
    except Refusal as refusal:
        return Refused(
            refusal.rule,
            refusal.message,
            sorted(use.tables),
            sorted(c for _t, c in use.columns),
            time.perf_counter() - start,
        )
    result["rows_scanned"] = _rows_in(policy, use.tables)
    return Released(
        **{
            **result,
            "tables": sorted(use.tables),
            "columns_used": sorted(c for _t, c in use.columns),
            "seconds": time.perf_counter() - start,
            "form": form,
        },
    )


@dataclass(frozen=True)
class Derived:
    """A dataset made in the zone (数据治理), written as Parquet that stays in the zone."""

    path: str
    sha256: str
    rows: int
    columns: dict[str, str]  # name → DuckDB type
    sources: dict[str, list[str]]  # output column → the base columns it was computed from
    tables: list[str]
    decision: str = "derived"


def materialise(sql: str, policy: Policy, *, dest_dir: Path, max_rows: int = 20_000_000):
    """Run `sql` (any authorized column, joins and aggregates allowed: it is governance inside
    the zone, nothing is released) and write the result as read-only Parquet under
    `dest_dir`, named by its SHA-256. The result must keep a privacy-unit column, so that
    disclosure control still counts people when the derived dataset is queried."""
    import pyarrow.parquet as pq

    use = _Use()
    try:
        tree = _parse(sql)
        _check_nodes(tree, "aggregate")
        everything = {n: t for n, t in policy.tables.items()}
        tree = _qualified(
            tree,
            dataclasses.replace(
                policy,
                tables={
                    n: dataclasses.replace(t, columns={c: frozenset({"derive"}) for c in t.columns})
                    for n, t in everything.items()
                },
            ),
            "derive",
        )
        use = _base_columns(tree, policy)
        units = {policy.tables[t].privacy_unit for t in use.tables}
        outputs = [p.alias_or_name for p in tree.expressions]
        if not units & set(outputs):
            _refuse(
                "derive.unit",
                "衍生数据须保留隐私单元列(" + "、".join(sorted(units)) + "),以便继续计数",
            )
        sources = {}
        for projection in tree.expressions:
            sources[projection.alias_or_name] = sorted(
                {c.name for c in projection.find_all(exp.Column)}
            )
        con = _connect(policy, use.tables)
        try:
            table = _timed(con, policy, lambda: con.sql(_sql(tree)).to_arrow_table())
        finally:
            con.close()
        if table.num_rows > max_rows:
            _refuse("limits.rows", f"衍生数据超过 {max_rows} 行")
    except Refusal as refusal:
        return Refused(
            refusal.rule, refusal.message, sorted(use.tables), sorted(c for _t, c in use.columns)
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    staged = dest_dir / f".derive-{threading.get_ident()}-{time.monotonic_ns()}.parquet"
    pq.write_table(table, staged, compression="zstd")
    digest = hashlib.sha256(staged.read_bytes()).hexdigest()
    final = dest_dir / f"{digest}.parquet"
    if final.exists():
        staged.unlink()
    else:
        staged.rename(final)
        final.chmod(0o444)
    types = {}
    con = duckdb.connect()
    try:
        for name, kind, *_rest in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_literal(str(final))})"
        ).fetchall():
            types[name] = kind
    finally:
        con.close()
    return Derived(str(final), digest, table.num_rows, types, sources, sorted(use.tables))


def _rows_in(policy: Policy, tables: set[str]) -> int:
    """Rows of the tables a query read (from the Parquet footers: every query scans whole
    versions; DuckDB prunes columns, not rows)."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(policy.tables[t].path).metadata.num_rows for t in tables)


def describe(policy: Policy) -> dict:
    """What the policy exposes: tables, columns with their forms, privacy unit, QIs."""
    return {
        name: {
            "columns": {c: sorted(f) for c, f in t.columns.items()},
            "types": dict(t.types),
            "privacy_unit": t.privacy_unit,
            "quasi_identifiers": sorted(t.quasi_identifiers),
            "identifiers": sorted(t.identifiers),
        }
        for name, t in policy.tables.items()
    }


# --- Aggregate form ------------------------------------------------------------------------------


@dataclass
class _Output:
    name: str
    expression: exp.Expression
    aggregates: list[exp.Expression]  # the aggregate calls inside it (none: a group key)


@dataclass
class _Shape:
    select: exp.Select
    keys: list[exp.Expression]  # GROUP BY expressions
    outputs: list[_Output]
    table: str  # the table whose privacy unit counts
    unit: exp.Column

    @property
    def measures(self) -> list[tuple[int, int, exp.Expression]]:
        """(output index, aggregate index, aggregate) for every aggregate in the outputs."""
        return [(i, j, a) for i, o in enumerate(self.outputs) for j, a in enumerate(o.aggregates)]


def _aggregate_shape(tree: exp.Expression, policy: Policy, use: _Use, form: str) -> _Shape:
    unsupported = f"不支持的查询结构。支持:{SHAPES[form]}"
    if not isinstance(tree, exp.Select) or tree.args.get("with") or tree.find(exp.Subquery):
        _refuse("shape.unsupported", unsupported)
    if tree.args.get("distinct"):
        _refuse("shape.unsupported", unsupported)
    source = _from(tree).this
    if not isinstance(source, exp.Table):
        _refuse("shape.unsupported", unsupported)
    keys = list(tree.args["group"].expressions) if tree.args.get("group") else []
    key_sql = {_sql(k) for k in keys}
    outputs = []
    for projection in tree.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        kinds = {**_AGGREGATES, **_DP_QUANTILES} if form == "dp" else _AGGREGATES
        aggregates = list(inner.find_all(*kinds))
        if not aggregates and _sql(inner) not in key_sql:
            _refuse("shape.ungrouped", f"输出列须是分组列或聚合结果。支持:{SHAPES[form]}")
        for agg in aggregates:
            if agg.find(exp.Case, exp.If, exp.Predicate, exp.Connector, exp.Not, exp.Coalesce):
                _refuse(
                    "aggregate.conditional",
                    "聚合函数的参数不能含条件或比较(条件请写在 WHERE 或分组中)",
                )
            if any(a is not agg for a in agg.find_all(*kinds)):
                _refuse("shape.unsupported", unsupported)
        if form == "dp" and aggregates and (len(aggregates) != 1 or aggregates[0] is not inner):
            _refuse("shape.unsupported", f"每个输出列只能是一个聚合函数。支持:{SHAPES[form]}")
        outputs.append(_Output(projection.alias_or_name, inner, aggregates))
    table = source.name
    unit = exp.column(policy.tables[table].privacy_unit, table=source.alias_or_name, quoted=True)
    return _Shape(tree, keys, outputs, table, unit)


def _contributing(agg: exp.Expression, unit: exp.Column) -> exp.Expression:
    """COUNT(DISTINCT unit) over the rows that feed `agg` (a NULL argument feeds nothing)."""
    argument = agg.this
    if isinstance(argument, exp.Distinct):
        argument = argument.expressions[0]
    if argument is None or isinstance(argument, exp.Star):
        return exp.Count(this=exp.Distinct(expressions=[unit.copy()]))
    case = exp.Case(
        ifs=[exp.If(this=exp.Is(this=argument.copy(), expression=exp.Null()), true=exp.Null())],
        default=unit.copy(),
    )
    return exp.Count(this=exp.Distinct(expressions=[case]))


def _aggregate(tree: exp.Expression, policy: Policy, use: _Use) -> dict:
    shape = _aggregate_shape(tree, policy, use, "aggregate")
    select = shape.select.copy()
    for clause in ("order", "limit", "offset"):
        select.set(clause, None)
    n_out = len(shape.outputs)
    measures = shape.measures
    extra = [exp.alias_(_contributing(a, shape.unit), f"__units_{i}_{j}") for i, j, a in measures]
    extra.append(
        exp.alias_(exp.Count(this=exp.Distinct(expressions=[shape.unit.copy()])), "__units")
    )
    select.set("expressions", [*select.expressions, *extra])
    con = _connect(policy, use.tables)
    try:
        _complement_check(con, shape, policy)
        _, raw = _execute(con, _sql(select), policy)
        dominance = _dominance(con, shape, policy)
    finally:
        con.close()
    key_index = [i for i, o in enumerate(shape.outputs) if not o.aggregates]
    agg_index = [i for i, o in enumerate(shape.outputs) if o.aggregates]
    rows, reasons, primary, units_of = [], [], set(), []
    for r, row in enumerate(raw):
        values = list(row[:n_out])
        group_units = row[-1]
        cell_units = {(i, j): row[n_out + m] for m, (i, j, _a) in enumerate(measures)}
        units_of.append(group_units)
        if group_units < policy.k:
            primary.add(r)
            reasons.append(f"第 {r + 1} 行:少于 {policy.k} 个隐私单元")
            rows.append([None] * n_out)
            continue
        key = tuple(values[i] for i in key_index)
        for i, j, _agg in measures:
            if values[i] is None and cell_units[(i, j)] >= policy.k:
                continue
            name = shape.outputs[i].name
            if cell_units[(i, j)] < policy.k:
                reasons.append(f"第 {r + 1} 行「{name}」:少于 {policy.k} 个隐私单元")
                values[i] = None
            elif (i, j, key) in dominance:
                reasons.append(f"第 {r + 1} 行「{name}」:{dominance[(i, j, key)]}")
                values[i] = None
        rows.append(values)
    secondary = _secondary(raw, key_index, units_of, primary, policy.k)
    for r in sorted(secondary):
        reasons.append(f"第 {r + 1} 行:次级抑制(防止由合计反推被抑制的行)")
    # Rows wholly suppressed are dropped: their keys would reveal that a rare group exists.
    hidden = primary | secondary
    kept = [(r, v) for r, v in enumerate(rows) if r not in hidden]
    signatures = _signatures(shape, raw, key_index, {r for r, _v in kept})
    _differencing_guard(signatures, policy)
    kept = _order_and_limit(shape, kept)
    suppressed_cells = len(hidden) * len(agg_index) + sum(
        1 for _r, v in kept for i in agg_index if v[i] is None
    )
    return {
        "columns": [o.name for o in shape.outputs],
        "rows": [[_plain(x) for x in v] for _r, v in kept],
        "suppressed_cells": suppressed_cells,
        "suppression": reasons,
        "cells": signatures,
        "epsilon_left": policy.epsilon_left,
    }


def _complement_check(con, shape: _Shape, policy: Policy) -> None:
    """Query-set-size control on the complement: a WHERE that leaves out fewer than k units
    of the table would let two queries (with and without them) be subtracted."""
    where = shape.select.args.get("where")
    if where is None:
        return
    negated = exp.Not(
        this=exp.Coalesce(this=exp.Paren(this=where.this.copy()), expressions=[exp.false()])
    )
    query = exp.select(exp.Count(this=exp.Distinct(expressions=[shape.unit.copy()]))).from_(
        _from(shape.select).this.copy()
    )
    for join in shape.select.args.get("joins") or []:
        query = query.join(join.copy())
    query = query.where(negated)
    _, rows = _execute(con, _sql(query), policy)
    left_out = rows[0][0]
    if 0 < left_out < policy.k:
        _refuse(
            "differencing.complement",
            f"筛选条件只排除了少于 {policy.k} 个隐私单元,可与不含该条件的查询相减得到个体信息",
        )


def _dominance(con, shape: _Shape, policy: Policy) -> dict:
    """(output, aggregate, group key) → reason, for each SUM/AVG failing the (n, k) dominance
    rule or the p-ratio rule, computed on per-unit contributions: one pass that sums every
    such aggregate per (group, unit), then each group's total and its n largest units."""
    found = {}
    sums = [(i, j, agg) for i, j, agg in shape.measures if type(agg) in (exp.Sum, exp.Avg)]
    if not sums:
        return found
    keys = shape.keys
    n = int(policy.dominance_n)
    per = shape.select.copy()
    per_unit = [
        exp.alias_(exp.Sum(this=a.this.copy()), f"__s{m}") for m, (_i, _j, a) in enumerate(sums)
    ]
    keyed = [exp.alias_(k.copy(), f"__k{x}") for x, k in enumerate(keys)]
    per.set("expressions", [*keyed, *per_unit])
    per.set("group", exp.Group(expressions=[*[k.copy() for k in keys], shape.unit.copy()]))
    for clause in ("having", "order", "limit", "offset"):
        per.set(clause, None)
    key_cols = [f"__k{x}" for x in range(len(keys))]
    measures = [f"sum(abs(__s{m})), max(abs(__s{m}), {n})" for m in range(len(sums))]
    group_by = f" GROUP BY {', '.join(key_cols)}" if keys else ""
    sql = f"SELECT {', '.join([*key_cols, *measures])} FROM ({_sql(per)}) AS per{group_by}"
    _, rows = _execute(con, sql, policy)
    for row in rows:
        key = tuple(row[: len(keys)])
        for m, (i, j, _agg) in enumerate(sums):
            total, top = row[len(keys) + 2 * m], row[len(keys) + 2 * m + 1] or []
            if not total:
                continue
            top1, top_n = (top[0] if top else 0), sum(top)
            if top_n / total > policy.dominance_k:
                found[(i, j, key)] = f"前 {n} 个单元占合计 {policy.dominance_k:.0%} 以上(优势规则)"
            elif total - top_n < policy.p_ratio * top1:
                found[(i, j, key)] = f"其余单元合计不足最大单元的 {policy.p_ratio:.0%}(p% 规则)"
    return found


def _secondary(raw, key_index, units, primary: set[int], k: int) -> set[int]:
    """Secondary suppression: in every slice along each grouping dimension (and the whole
    table), the suppressed rows must add up to at least k units, or a margin — the slice's
    total from another query — would give them away. Adds the smallest released rows until
    that holds, repeating until nothing changes."""
    if not primary:
        return set()
    suppressed = set(primary)
    slices = [lambda r: ()]
    if len(key_index) > 1:
        for d in range(len(key_index)):
            others = [key_index[j] for j in range(len(key_index)) if j != d]
            slices.append(lambda r, o=others: tuple(raw[r][i] for i in o))
    changed = True
    while changed:
        changed = False
        for slice_of in slices:
            groups = defaultdict(list)
            for r in range(len(raw)):
                groups[slice_of(r)].append(r)
            for members in groups.values():
                if not any(r in suppressed for r in members):
                    continue
                shown = sorted((r for r in members if r not in suppressed), key=lambda r: units[r])
                while shown and sum(units[r] for r in members if r in suppressed) < k:
                    suppressed.add(shown.pop(0))
                    changed = True
    return suppressed - primary


def _signatures(shape: _Shape, raw, key_index, released: set[int]) -> list[tuple]:
    """(table, measure, group key, units) for each released aggregate cell."""
    n_out = len(shape.outputs)
    out = []
    for r in sorted(released):
        key = tuple(str(raw[r][i]) for i in key_index)
        for m, (_i, _j, agg) in enumerate(shape.measures):
            out.append((shape.table, _sql(agg), key, raw[r][n_out + m]))
    return out


def _differencing_guard(signatures: list[tuple], policy: Policy) -> None:
    """Refuse a cell that differs by fewer than k units from a cell already released for the
    same table, measure and group: the pair (with and without a few people) would reveal them."""
    for table, measure, key, units in signatures:
        for before in policy.history.get((table, measure, key), ()):
            if 0 < abs(units - before) < policy.k:
                _refuse(
                    "differencing.history",
                    f"与此前已输出的结果相差不足 {policy.k} 个隐私单元,可相减得到个体信息",
                )


def _order_and_limit(shape: _Shape, kept: list[tuple[int, list]]) -> list[tuple[int, list]]:
    """ORDER BY and LIMIT applied after suppression, on released values."""
    order = shape.select.args.get("order")
    names = [o.name for o in shape.outputs]
    by_sql = {_sql(o.expression): n for n, o in enumerate(shape.outputs)}
    if order is not None:
        for ordered in reversed(order.expressions):
            target = ordered.this
            if isinstance(target, exp.Column) and target.name in names and not target.table:
                index = names.index(target.name)
            elif _sql(target) in by_sql:
                index = by_sql[_sql(target)]
            elif isinstance(target, exp.Literal) and target.is_int:
                index = int(target.this) - 1
            else:
                _refuse("shape.order", "ORDER BY 只能使用输出列")
            if not 0 <= index < len(names):
                _refuse("shape.order", "ORDER BY 只能使用输出列")
            kept.sort(
                key=lambda rv, i=index: (rv[1][i] is None, _sortable(rv[1][i])),
                reverse=bool(ordered.args.get("desc")),
            )
    limit = shape.select.args.get("limit")
    if limit is not None:
        try:
            count = int(limit.expression.this)
        except (TypeError, ValueError, AttributeError):
            _refuse("shape.limit", "LIMIT 须为整数")
        offset = shape.select.args.get("offset")
        skip = int(offset.expression.this) if offset is not None else 0
        kept = kept[skip : skip + count]
    return kept


def _sortable(value):
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    return str(value)


# --- Differential privacy form -------------------------------------------------------------------


def _dp(tree: exp.Expression, policy: Policy, use: _Use) -> dict:
    import opendp.prelude as dp

    shape = _aggregate_shape(tree, policy, use, "dp")
    if len(use.tables) != 1 or shape.select.args.get("joins") or shape.select.args.get("having"):
        _refuse("shape.unsupported", f"不支持的查询结构。支持:{SHAPES['dp']}")
    table = policy.tables[shape.table]
    kinds = {**_AGGREGATES, **_DP_QUANTILES}
    aggs = [
        (i, o.aggregates[0], kinds[type(o.aggregates[0])])
        for i, o in enumerate(shape.outputs)
        if o.aggregates
    ]
    if not aggs:
        _refuse("shape.unsupported", f"至少需要一个聚合。支持:{SHAPES['dp']}")
    epsilon = policy.epsilon_per_query
    if epsilon <= 0 or epsilon > policy.epsilon_left + 1e-12:
        _refuse(
            "dp.budget", f"隐私预算不足:剩余 ε={policy.epsilon_left:.3g},本次需要 ε={epsilon:.3g}"
        )
    # Group keys come from declared category sets: every combination is released (with noise),
    # so which groups exist reveals nothing.
    domains = []
    for key in shape.keys:
        if not isinstance(key, exp.Column) or key.name not in table.categories:
            _refuse("dp.keys", "差分隐私查询的分组列须是声明了取值集合的类别列")
        domains.append(tuple(table.categories[key.name]))
    measures = []
    for _i, agg, kind in aggs:
        argument = agg.this
        if kind == "count":
            distinct = isinstance(argument, exp.Distinct)
            inner = argument.expressions[0] if distinct else argument
            if distinct and not (
                isinstance(inner, exp.Column) and inner.name == table.privacy_unit
            ):
                _refuse("dp.count_distinct", "差分隐私下 COUNT(DISTINCT) 只能统计隐私单元")
            measures.append(("count_units" if distinct else "count", None))
            continue
        if not isinstance(argument, exp.Column) or argument.name not in table.bounds:
            _refuse("dp.bounds", "差分隐私下 SUM/AVG/分位数只能作用于声明了取值范围的数值列")
        if kind == "quantile":
            measures.append((kind, argument.name, _quantile_alpha(agg)))
            continue
        measures.append((kind, argument.name))
    cost = sum(2 if m[0] == "avg" else 1 for m in measures)
    share = epsilon / cost
    c = max(1, int(policy.contributions))
    unit = _ident(table.privacy_unit)
    where = shape.select.args.get("where")
    where_sql = f"WHERE {_sql(where.this)}" if where is not None else ""
    key_sql = [_ident(k.name) for k in shape.keys]
    alias = _ident(_from(shape.select).this.alias_or_name)
    # Contribution bounding: at most c rows per privacy unit, chosen by a hash (no randomness
    # an attacker could average away by repeating the query).
    sample = (
        f"SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY {unit} ORDER BY "
        f"hash({unit}, {', '.join(_ident(col) for col in table.columns)})) AS __rn "
        f"FROM {_ident(shape.table)} AS {alias} {where_sql}) WHERE __rn <= {c}"
    )
    selects = []
    for j, (kind, column, *_alpha) in enumerate(measures):
        if kind == "quantile":
            lo, hi = table.bounds[column]
            clamped = f"least(greatest(CAST({_ident(column)} AS DOUBLE), {lo!r}), {hi!r})"
            # The values stay inside the engine: the mechanism scores candidates against them.
            selects.append(f"list({clamped}) FILTER (WHERE {_ident(column)} IS NOT NULL) AS m{j}")
        elif kind == "count":
            selects.append(f"count(*) AS m{j}")
        elif kind == "count_units":
            selects.append(f"count(DISTINCT {unit}) AS m{j}")
        else:
            lo, hi = table.bounds[column]
            clamped = f"least(greatest(CAST({_ident(column)} AS DOUBLE), {lo!r}), {hi!r})"
            selects.append(f"coalesce(sum({clamped}), 0) AS m{j}")
            if kind == "avg":
                selects.append(f"count({_ident(column)}) AS n{j}")
    keys_aliased = [f"{k} AS k{j}" for j, k in enumerate(key_sql)]
    group = f"GROUP BY {', '.join(key_sql)}" if key_sql else ""
    sql = f"SELECT {', '.join([*keys_aliased, *selects])} FROM ({sample}) AS s {group}"
    con = _connect(policy, use.tables)
    try:
        names, raw = _execute(con, sql, policy)
    finally:
        con.close()
    found = {tuple(row[: len(key_sql)]): dict(zip(names, row, strict=True)) for row in raw}
    combos = [()]
    for domain in domains:
        combos = [(*combo, v) for combo in combos for v in domain]
    if len(combos) > policy.max_rows:
        _refuse("limits.rows", f"分组组合超过 {policy.max_rows} 个")
    dp.enable_features("contrib")

    def noisy(values: list[float], sensitivity: float) -> list[float]:
        space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float)
        scale = sensitivity / share
        measurement = dp.m.make_laplace(*space, scale=scale)
        assert measurement.map(sensitivity) <= share * (1 + 1e-9)
        return list(measurement([float(v) for v in values]))

    columns_out, released = [o.name for o in shape.outputs], []
    per_measure = {}
    for j, (kind, column, *alpha) in enumerate(measures):
        if kind == "quantile":
            lo, hi = table.bounds[column]
            step = (hi - lo) / (QUANTILE_CANDIDATES - 1)
            candidates = [lo + step * n for n in range(QUANTILE_CANDIDATES)]
            space = (
                dp.vector_domain(dp.atom_domain(T=float, nan=False)),
                dp.symmetric_distance(),
                dp.max_divergence(),
            )

            def quantile(scale: float, a=alpha[0], cands=candidates, space=space):
                return dp.m.make_private_quantile(*space, candidates=cands, alpha=a, scale=scale)

            # ε is linear in 1/scale: calibrate once, so that c rows per unit cost the share.
            scale = quantile(1.0).map(c) / share
            measurement = quantile(scale)
            assert measurement.map(c) <= share * (1 + 1e-9)
            per_measure[j] = [
                float(measurement([float(v) for v in (found.get(combo) or {}).get(f"m{j}") or []]))
                for combo in combos
            ]
            continue
        truth = [float((found.get(combo) or {}).get(f"m{j}") or 0) for combo in combos]
        if kind in ("count", "count_units"):
            per_measure[j] = [
                max(0.0, round(v)) for v in noisy(truth, float(c if kind == "count" else 1))
            ]
            continue
        lo, hi = table.bounds[column]
        sums = noisy(truth, c * max(abs(lo), abs(hi)))
        if kind == "sum":
            per_measure[j] = sums
            continue
        counts = noisy(
            [float((found.get(combo) or {}).get(f"n{j}") or 0) for combo in combos], float(c)
        )
        per_measure[j] = [
            min(hi, max(lo, s / n)) if n >= 1 else None for s, n in zip(sums, counts, strict=True)
        ]
    key_positions = [i for i, o in enumerate(shape.outputs) if not o.aggregates]
    agg_positions = [i for i, o in enumerate(shape.outputs) if o.aggregates]
    for row_index, combo in enumerate(combos):
        values = [None] * len(shape.outputs)
        for pos, key_value in zip(key_positions, combo, strict=False):
            values[pos] = key_value
        for j, pos in enumerate(agg_positions):
            value = per_measure[j][row_index]
            values[pos] = round(value, 4) if isinstance(value, float) else value
        released.append((row_index, values))
    released = _order_and_limit(shape, released)
    return {
        "columns": columns_out,
        "rows": [v for _r, v in released],
        "epsilon_spent": epsilon,
        "epsilon_left": max(0.0, policy.epsilon_left - epsilon),
    }


def _quantile_alpha(agg: exp.Expression) -> float:
    """The quantile asked for: MEDIAN is 0.5; QUANTILE_CONT(x, q) and QUANTILE(x, q) name q."""
    if isinstance(agg, exp.Median):
        return 0.5
    literal = agg.args.get("expression") or agg.args.get("quantile")
    try:
        alpha = float(literal.this) if isinstance(literal, exp.Literal) else -1.0
    except (TypeError, ValueError):
        alpha = -1.0
    if not 0 < alpha < 1:
        _refuse("dp.quantile", "分位数须为 0 到 1 之间的常数")
    return alpha


# --- De-identified records -----------------------------------------------------------------------


def pseudonym(value, key: bytes) -> str | None:
    """A keyed pseudonym (HMAC-SHA256, 16 hex digits): stable within one authorization's key,
    unlinkable across authorizations."""
    if value is None:
        return None
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:16]


def generalise(value, kind: str, categories: tuple = ()):
    """Quasi-identifiers coarsened: dates to the month, numbers to a band of ten, text outside
    a declared category set to its first two characters (a district, not an address)."""
    if value is None:
        return None
    if value in categories:
        return value
    if isinstance(value, datetime | date) or kind in ("DATE", "TIMESTAMP"):
        text = value.isoformat() if isinstance(value, date | datetime) else str(value)
        return text[:7]
    if isinstance(value, int | float) and not isinstance(value, bool):
        low = math.floor(value / 10) * 10
        return f"{low}–{low + 9}"
    return str(value)[:2] + "…" if len(str(value)) > 2 else str(value)


def _deidentified(tree: exp.Expression, policy: Policy, use: _Use) -> dict:
    unsupported = f"不支持的查询结构。支持:{SHAPES['deidentified']}"
    if not isinstance(tree, exp.Select) or tree.find(exp.Subquery) or tree.args.get("with"):
        _refuse("shape.unsupported", unsupported)
    if tree.args.get("group") or tree.args.get("joins") or tree.args.get("distinct"):
        _refuse("shape.unsupported", unsupported)
    if not policy.pseudonym_key:
        _refuse("deid.key", "授权未配置假名化密钥")
    table_name = _from(tree).this.name
    table = policy.tables[table_name]
    sources = []
    for projection in tree.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if not isinstance(inner, exp.Column):
            _refuse("shape.unsupported", unsupported)
        sources.append(inner.name)
    con = _connect(policy, use.tables)
    try:
        columns, raw = _execute(con, _sql(tree), policy)
    finally:
        con.close()
    treated = []
    for row in raw:
        out = []
        for source, value in zip(sources, row, strict=True):
            if source in table.identifiers or source == table.privacy_unit:
                out.append(pseudonym(value, policy.pseudonym_key))
            elif source in table.quasi_identifiers:
                out.append(
                    generalise(
                        value, table.types.get(source, ""), tuple(table.categories.get(source, ()))
                    )
                )
            else:
                out.append(value)
        treated.append(out)
    qi_positions = [i for i, s in enumerate(sources) if s in table.quasi_identifiers]
    classes = defaultdict(list)
    for index, row in enumerate(treated):
        classes[tuple(row[i] for i in qi_positions)].append(index)
    dropped = {i for members in classes.values() if len(members) < policy.k for i in members}
    kept = [row for index, row in enumerate(treated) if index not in dropped]
    reasons = (
        [f"{len(dropped)} 行所在的准标识符组合少于 {policy.k} 条记录(k-匿名)"] if dropped else []
    )
    return {
        "columns": columns,
        "rows": [[_plain(v) for v in row] for row in kept],
        "suppressed_cells": len(dropped) * len(sources),
        "suppression": reasons,
        "epsilon_left": policy.epsilon_left,
    }


def _model(tree: exp.Expression, policy: Policy, use: _Use) -> dict:
    """模型输出: the result columns of a model the operator built in the zone (a derived
    dataset of scores, say) for the one object the request names by its privacy unit. No
    identifier leaves, and an answer that covers more than a few rows is refused: a model
    output is not a way to list records."""
    unsupported = f"不支持的查询结构。支持:{SHAPES['model']}"
    if not isinstance(tree, exp.Select) or tree.find(exp.Subquery) or tree.args.get("with"):
        _refuse("shape.unsupported", unsupported)
    if tree.args.get("group") or tree.args.get("joins") or tree.args.get("distinct"):
        _refuse("shape.unsupported", unsupported)
    table = policy.tables[_from(tree).this.name]
    if not table.derived:
        _refuse(
            "model.not_derived",
            "模型输出只能来自在专区内构建的模型结果(衍生数据),不能直接查原始数据",
        )
    for projection in tree.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if not isinstance(inner, exp.Column):
            _refuse("shape.unsupported", unsupported)
        if inner.name in table.identifiers or inner.name == table.privacy_unit:
            _refuse("model.identifier", f"模型输出不含标识符「{inner.name}」")
    where = tree.args.get("where")
    conjuncts = []
    if where is not None:
        conjuncts = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
    if not any(
        isinstance(c, exp.EQ)
        and {type(c.this), type(c.expression)} == {exp.Column, exp.Literal}
        and next(x for x in (c.this, c.expression) if isinstance(x, exp.Column)).name
        == table.privacy_unit
        for c in conjuncts
    ):
        _refuse(
            "model.one_object",
            f"模型输出每次只针对一个对象:WHERE 中须有 {table.privacy_unit} = 值",
        )
    con = _connect(policy, use.tables)
    try:
        columns, raw = _execute(con, _sql(tree), policy)
    finally:
        con.close()
    if len(raw) > policy.model_max_rows:
        _refuse("model.too_many", f"模型输出每次至多 {policy.model_max_rows} 行")
    return {
        "columns": columns,
        "rows": [[_plain(v) for v in row] for row in raw],
        "suppressed_cells": 0,
        "suppression": [],
        "epsilon_left": policy.epsilon_left,
    }


def _plain(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
