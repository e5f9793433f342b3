"""Derived datasets (数据治理): multi-step work inside the zone, kept there as Parquet.

What a derived dataset may be is what keeps it safe to query later: **every row is one unit's
data.** Either row by row (a projection of each row, with computed columns over that row), or
grouped by the privacy unit (each unit's rows summarised: COUNT, SUM, AVG, MIN, MAX), from one
table or a declared join. No window, subquery, CTE or self-join can carry one person's value
into another person's row, so a derived table's units are counted truly when it is queried.

- The privacy unit is found by **lineage**: an output that is the source's unit column, unchanged
  (a plain column reference, renamed or not). Every unit of every personal source must be kept.
  Another column renamed to the unit's name is just a column.
- Identifiers stay identifiers: an output computed from one (LEFT(身份证号, 6), say) is protected
  like it. Declared ranges and value sets pass to an output that is the column itself (or its
  MIN, MAX or AVG), never taken from the data.
- Filters follow the query model (columns against constants, no identifiers); computed columns
  run inside TRY(), so no value can make the job fail: an impossible cast is a NULL in the zone,
  not an error message outside it.
- Its size is not reported: it is asked in a query like any count (a size said here, even
  as "at least k", would be a test of whether a set of people reaches k outside the register).
"""

from __future__ import annotations

import hashlib

import duckdb
from sqlglot import exp

from pdao.zone.engine import aggregate, connect, led, sql
from pdao.zone.engine import model as m
from pdao.zone.engine.errors import refuse
from pdao.zone.engine.translate import Scope, check_clauses, parse, sources_of, where_of
from pdao.zone.engine.types import Derived, Policy, unit_key_column

_STRUCTURE = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Neg,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.EQ, exp.NEQ, exp.GT, exp.GTE,
    exp.LT, exp.LTE, exp.And, exp.Or, exp.Not, exp.Is, exp.In, exp.Between, exp.Like, exp.ILike,
    exp.Case, exp.If, exp.Coalesce, exp.Nullif, exp.Cast, exp.TryCast, exp.DataType, exp.Var,
    exp.Interval, exp.Round, exp.Floor, exp.Ceil, exp.Abs, exp.Sign, exp.Sqrt, exp.Ln, exp.Log,
    exp.Pow, exp.Exp, exp.Least, exp.Greatest, exp.Lower, exp.Upper, exp.Trim, exp.Length,
    exp.Substring, exp.Left, exp.Right, exp.Concat, exp.DPipe, exp.Replace, exp.StrPosition,
    exp.Year, exp.Month, exp.Day, exp.Quarter, exp.DayOfWeek, exp.Hour, exp.TimestampTrunc,
    exp.DateTrunc, exp.TimeToStr, exp.Extract, exp.DateDiff, exp.DateAdd, exp.DateSub,
)  # fmt: skip
_ANONYMOUS = {"strftime", "date_part", "datepart", "date_trunc", "hour", "dayofweek", "isodow",
              "left", "right", "substr", "log10", "log2", "isnan", "isfinite"}  # fmt: skip
_AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)
_KEEPS_RANGE = (exp.Min, exp.Max, exp.Avg)


def _unwrap(node):
    while isinstance(node, exp.Paren):
        node = node.this
    return node


class _Lineage:
    """What an output column comes from, and what it inherits."""

    def __init__(self):
        self.sources: set[m.Col] = set()
        self.plain: m.Col | None = None  # the column itself, or its MIN/MAX/AVG
        self.identity: m.Col | None = None  # the column itself, unchanged
        self.same_values = False  # MIN/MAX: values of the column itself (its value set holds)


def _check(node, scope: Scope, lineage: _Lineage, *, grouped: bool, inside: bool = False) -> None:
    """Walk one output expression: every node on the allow-list, every column resolved."""
    if isinstance(node, _AGGREGATES):
        if not grouped:
            refuse("derive.aggregate", "聚合函数须与按隐私单元分组的 GROUP BY 一起使用")
        if inside:
            refuse("derive.aggregate", "聚合函数不能嵌套")
        argument = node.this
        if isinstance(argument, exp.Distinct):
            for item in argument.expressions:
                _check(item, scope, lineage, grouped=grouped, inside=True)
        elif argument is not None and not isinstance(argument, exp.Star):
            _check(argument, scope, lineage, grouped=grouped, inside=True)
        return
    if isinstance(node, exp.Column):
        col = scope.column(node, "derive_value")
        lineage.sources.add(col)
        return
    if isinstance(node, exp.Anonymous):
        if str(node.this).lower() not in _ANONYMOUS:
            refuse("derive.function", f"衍生数据不支持函数 {str(node.this).upper()}")
    elif not isinstance(node, _STRUCTURE) or isinstance(node, exp.Star):
        name = node.sql_name() if isinstance(node, exp.Func) else type(node).__name__
        refuse("derive.function", f"衍生数据不支持「{name}」")
    for child in node.iter_expressions():
        _check(child, scope, lineage, grouped=grouped, inside=inside)


def _under_aggregate(node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, _AGGREGATES):
            return True
        parent = parent.parent
    return False


def _has_aggregate(node) -> bool:
    return any(isinstance(n, _AGGREGATES) for n in node.walk())


def _qualified(node, scope: Scope):
    """The expression with every column qualified by its table's alias and quoted, casts made
    TRY_CASTs: regenerated from the validated tree, never the submitted text."""
    holder = exp.Paren(this=node.copy())  # so that the root itself can be replaced
    for column in list(holder.find_all(exp.Column)):
        col = scope.column(column, "derive_value")
        column.replace(exp.column(col.name, table=col.alias, quoted=True))
    for cast in list(holder.find_all(exp.Cast)):
        if not isinstance(cast, exp.TryCast):
            cast.replace(exp.TryCast(this=cast.this, to=cast.to))
    return holder.this


def _try(node) -> str:
    text = node.sql(dialect="duckdb", comments=False)
    return text if isinstance(node, exp.Column) else f"TRY({text})"


def materialise(text: str, policy: Policy, *, dest, max_rows: int = 20_000_000) -> Derived:
    tree = parse(text)
    check_clauses(tree)
    for clause, word in (("having", "HAVING"), ("order", "ORDER BY"), ("limit", "LIMIT"),
                         ("offset", "OFFSET")):  # fmt: skip
        if tree.args.get(clause) is not None:
            refuse("derive.shape", f"衍生数据不支持 {word}：它留在专区内，查询时再排序和筛选")
    sources, join = sources_of(tree, policy, "derive")
    scope = Scope(policy, "derive", sources)
    where = where_of(tree, scope)
    group = tree.args.get("group")
    grouped = group is not None
    group_sql = set()
    if grouped:
        for item in group.expressions:
            node = _unwrap(item)
            if isinstance(node, exp.Literal):
                refuse("derive.shape", "衍生数据的 GROUP BY 请写出分组列，不用序号")
            _check(node, scope, _Lineage(), grouped=False)
            group_sql.add(_qualified(node, scope).sql(dialect="duckdb"))
    outputs = []  # (name, lineage, node)
    for projection in tree.expressions:
        inner = _unwrap(projection.unalias())
        if isinstance(inner, exp.Star):
            refuse("derive.shape", "衍生数据请列出输出列，不能用 *")
        name = projection.alias or (inner.name if isinstance(inner, exp.Column) else "")
        if not name:
            refuse("derive.name", "计算列请用 AS 命名")
        if name.startswith("__") or '"' in name or len(name) > 64:
            refuse("derive.name", f"列名「{name[:64]}」不可用")
        lineage = _Lineage()
        _check(inner, scope, lineage, grouped=grouped)
        if isinstance(inner, exp.Column):
            lineage.plain = lineage.identity = scope.column(inner, "derive_value")
            lineage.same_values = True
        elif isinstance(inner, _KEEPS_RANGE) and isinstance(_unwrap(inner.this), exp.Column):
            lineage.plain = scope.column(_unwrap(inner.this), "derive_value")
            lineage.same_values = isinstance(inner, exp.Min | exp.Max)
        ungrouped = _qualified(inner, scope).sql(dialect="duckdb") not in group_sql
        if grouped and not _has_aggregate(inner) and ungrouped:
            refuse("shape.ungrouped", f"输出列「{name}」须是分组列或聚合结果")
        if grouped and _has_aggregate(inner):
            for column in inner.find_all(exp.Column):
                if not _under_aggregate(column):
                    refuse("derive.shape", "聚合结果之外的运算只能用常量（如 ROUND(AVG(x), 1)）")
        outputs.append((name, lineage, inner))
    if len({o[0] for o in outputs}) != len(outputs):
        refuse("derive.name", "输出列名重复")
    # Units by lineage: each personal source's units, unchanged, among the outputs.
    units: list[tuple[str, m.Source, int]] = []  # (output name, source, unit index)
    for source in sources:
        table = policy.tables[source.name]
        for index, unit in enumerate(table.units):
            found = [
                o
                for o in outputs
                if o[1].identity is not None
                and (o[1].identity.alias, o[1].identity.name) == (source.alias, unit)
            ]
            if not found:
                refuse("derive.unit", f"衍生数据须保留隐私单元列「{unit}」（原样输出，可改名）")
            if grouped and _qualified(found[0][2], scope).sql(dialect="duckdb") not in group_sql:
                refuse(
                    "derive.unit", f"按组汇总时须按隐私单元「{unit}」分组：每行只能是一个人的数据"
                )
            units.append((found[0][0], source, index))
    # SQL: computed columns under TRY; aggregates in an inner query, arithmetic over them after.
    query = m.Query(form="derive", sources=tuple(sources), join=join, where=where,
                    used=frozenset(scope.used))  # fmt: skip
    con = connect.connect(policy, aggregate.views(query, policy))
    try:
        return _derive(query, policy, con, outputs, units, sources, scope, grouped, dest,
                       max_rows)  # fmt: skip
    finally:
        con.close()


def _derive(query, policy, con, outputs, units, sources, scope, grouped, dest, max_rows):
    from_ = aggregate.from_clause(query)
    where_sql = ""
    if query.where is not None:
        where_sql = (
            _without_low_effects(query, policy, con, from_)
            if units
            else f" WHERE {sql.condition(query.where)}"
        )
    # The sources' unit keys, unchanged: a derived dataset's numbers meet its sources' in the
    # register of released values (history.py), so a copy that changes one person's value, or
    # leaves them out, is answered as the source was.
    keys = [
        f"{sql.ident(s.alias)}.{sql.ident(unit_key_column(i))} AS {sql.ident(unit_key_column(n))}"
        for n, (_name, s, i) in enumerate(units)
    ]
    if not grouped:
        listed = [
            f"{_try(_qualified(node, scope))} AS {sql.ident(name)}" for name, _l, node in outputs
        ]
        body = f"SELECT {', '.join([*listed, *keys])} FROM {from_}{where_sql}"
    else:
        inner_cols, outer_cols, count = [], [], 0
        for name, _lineage, node in outputs:
            tree_ = exp.Paren(this=_qualified(node, scope))  # the root may be an aggregate
            if not _has_aggregate(tree_):
                inner_cols.append(f"{tree_.this.sql(dialect='duckdb')} AS {sql.ident(name)}")
                outer_cols.append(sql.ident(name))
                continue
            for agg in list(tree_.find_all(*_AGGREGATES)):
                argument = agg.this
                if isinstance(argument, exp.Distinct):
                    argument.set("expressions", [_trycall(e) for e in argument.expressions])
                elif argument is not None and not isinstance(argument, exp.Star | exp.Column):
                    agg.set("this", _trycall(argument))
                inner_cols.append(f"{agg.sql(dialect='duckdb')} AS __a{count}")
                agg.replace(exp.column(f"__a{count}"))
                count += 1
            outer_cols.append(f"{_try(tree_.this)} AS {sql.ident(name)}")
        inner = f"SELECT {', '.join([*inner_cols, *keys])} FROM {from_}{where_sql} GROUP BY ALL"
        kept = [unit_key_column(n) for n in range(len(units))]
        body = f"SELECT {', '.join([*outer_cols, *map(sql.ident, kept)])} FROM ({inner})"
    table = connect.timed(con, policy, lambda: con.sql(body).to_arrow_table())
    if table.num_rows > max_rows:
        refuse("limits.rows", f"衍生数据超过 {max_rows} 行")
    return _write(table, outputs, units, sources, policy, dest)


def _without_low_effects(query: m.Query, policy: Policy, con, from_sql: str) -> str:
    """The filter with every condition that changes the dataset by fewer than k people
    disregarded, as in a query (led.py): a derived dataset that leaves one person out, or
    keeps one more, is the dataset with (or without) them, whoever they are."""
    units = aggregate.units_of(query, policy)
    variants = led.detect(query, policy, con, units, from_sql, [()], None)
    dropped = variants[0].dropped if variants else {}
    return f" WHERE {sql.condition(query.where, replace=dropped)}"


def _trycall(node):
    return node if isinstance(node, exp.Column) else exp.Anonymous(this="TRY", expressions=[node])


def _write(table, outputs, units, sources, policy: Policy, dest) -> Derived:
    import pyarrow.parquet as pq

    con = duckdb.connect()
    try:
        con.register("derived", table)
        counted, most = 0, 0
        if units:
            first = sql.ident(unit_key_column(0))
            counted, most = con.execute(
                f"SELECT count(DISTINCT {first}), coalesce(max(n), 0) FROM "
                f"(SELECT {first}, count(*) AS n FROM derived GROUP BY ALL)"
            ).fetchone()
        types = {
            name: kind
            for name, kind, *_rest in con.execute("DESCRIBE SELECT * FROM derived").fetchall()
        }
    finally:
        con.close()
    meta = {"pdao.prepared": "1"}
    if units:
        meta |= {"pdao.units": str(int(counted)), "pdao.max_rows_per_unit": str(int(most))}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
    dest.mkdir(parents=True, exist_ok=True)
    staged = dest / f".derive-{hashlib.sha256(str(id(table)).encode()).hexdigest()[:12]}.parquet"
    pq.write_table(table, staged, compression="zstd")
    digest = hashlib.sha256(staged.read_bytes()).hexdigest()
    final = dest / f"{digest}.parquet"
    if final.exists():
        staged.unlink()
    else:
        staged.replace(final)
        final.chmod(0o444)
    # Nothing about its size leaves the zone, not even "at least k": whether a set of people
    # reaches k is a membership test near k (docs/zone.md), and here it would be answered
    # outside the register. Its size is asked like any other count, in a query.
    size = None
    columns = {}
    unit_names = {name for name, _s, _i in units}
    for name, lineage, _node in outputs:
        table_ = policy.tables
        sources_ = sorted(lineage.sources, key=lambda c: (c.table, c.name))
        protected = (
            any(table_[c.table].protected(c.name) for c in sources_) and name not in unit_names
        )
        qi = any(c.name in table_[c.table].quasi_identifiers for c in sources_)
        plain = lineage.plain
        if plain is not None and plain.name in table_[plain.table].computed:
            plain = None  # a copy of a computed column is computed
        columns[name] = {
            "type": types.get(name, "VARCHAR"),
            "sources": [f"{c.table}.{c.name}" for c in sources_],
            "bounds": list(table_[plain.table].bounds[plain.name])
            if plain is not None and plain.name in table_[plain.table].bounds
            else None,
            "categories": list(table_[plain.table].categories[plain.name])
            if plain is not None
            and (lineage.identity is not None or lineage.same_values)
            and plain.name in table_[plain.table].categories
            else None,
            "identifier": bool(protected),
            "quasi_identifier": bool(qi and not protected),
            # The column is a source column's own value (itself, or its MIN, MAX or AVG per
            # unit): never a model's result, whatever it is called.
            "plain": plain is not None,
        }
    one_per_unit = bool(units) and int(most) == 1
    return Derived(
        path=str(final),
        sha256=digest,
        columns=columns,
        units=tuple(name for name, _s, _i in units),
        size=size,
        one_per_unit=one_per_unit,
        tables=sorted({s.name for s in sources}),
        roots=tuple(policy.tables[s.name].root(i) for _name, s, i in units),
    )
