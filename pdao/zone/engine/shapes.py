"""The shape of each output form, in the query model: what a SELECT may hold for aggregates and
DP (keys, measures, arithmetic over measures, HAVING, ORDER BY, LIMIT on the protected answer),
for de-identified records (plain columns, filters on their released forms) and for a model
output (one object by its key)."""

from __future__ import annotations

import re

from sqlglot import exp

from pdao.zone.engine import model as m
from pdao.zone.engine.errors import Refusal, refuse
from pdao.zone.engine.translate import (
    _DENIED_HINT,
    SHAPES,
    Scope,
    check_clauses,
    coerce,
    filter_of,
    kind_of,
    literal,
    operand,
    sources_of,
    where_of,
)
from pdao.zone.engine.types import Policy

_AGGREGATE_NODES = (exp.Count, exp.Sum, exp.Avg, exp.Median, exp.PercentileCont, exp.Quantile)


def _sql(node) -> str:
    return node.sql(dialect="duckdb", comments=False)


def _unwrap(node):
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _function_name(node) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else type(node).__name__.lower()


def _denied(node) -> None:
    """Name the most telling reason for a function the zone does not compute."""
    for inner in node.walk():
        if isinstance(inner, exp.Func) and not isinstance(inner, _AGGREGATE_NODES):
            name = _function_name(inner)
            if name in _DENIED_HINT or isinstance(inner, exp.AggFunc):
                hint = _DENIED_HINT.get(name, "不在允许的度量之列")
                refuse("function.not_allowed", f"不允许的函数 {name.upper()}:{hint}")


def _limit(tree: exp.Select, policy: Policy, *, offset: bool) -> tuple[int | None, int]:
    limit, skip = None, 0
    clause = tree.args.get("limit")
    if clause is not None:
        limit = _count(clause.expression, "LIMIT")
    clause = tree.args.get("offset")
    if clause is not None:
        if not offset:
            refuse("shape.offset", "此输出形式不支持 OFFSET 翻页")
        skip = _count(clause.expression, "OFFSET")
    return limit, skip


def _count(node, what: str) -> int:
    node = _unwrap(node)
    if (
        isinstance(node, exp.Literal)
        and not node.is_string
        and re.fullmatch(r"\d{1,9}", str(node.this))
    ):
        return int(node.this)
    refuse("shape.limit", f"{what} 须为非负整数常量")


# --- Aggregates and DP ---------------------------------------------------------------------------


class _Measures:
    def __init__(self, scope: Scope, form: str):
        self.scope, self.form = scope, form
        self.items: list[m.Measure] = []

    def add(self, node) -> m.MeasureRef:
        measure = self._measure(node)
        for index, known in enumerate(self.items):
            if (known.kind, known.col, known.alpha) == (measure.kind, measure.col, measure.alpha):
                return m.MeasureRef(index)
        self.items.append(measure)
        return m.MeasureRef(len(self.items) - 1)

    def _measure(self, node) -> m.Measure:
        scope, dp = self.scope, self.form == "dp"
        if isinstance(node, exp.Count):
            argument = _unwrap(node.this)
            if isinstance(argument, exp.Star):
                return m.Measure("count", label="COUNT(*)")
            if isinstance(argument, exp.Distinct):
                items = argument.expressions
                if len(items) == 1 and isinstance(_unwrap(items[0]), exp.Column):
                    col = scope.column(_unwrap(items[0]), "units")
                    return m.Measure("units", col, label=f"COUNT(DISTINCT {col.name})")
                refuse("measure.count_distinct", "COUNT(DISTINCT …) 只能统计隐私单元的个数")
            if isinstance(argument, exp.Column):
                if dp:
                    refuse("dp.measure", "差分隐私下请用 COUNT(*) 或 COUNT(DISTINCT 隐私单元)")
                col = scope.column(argument, "measure")
                self._measured(col)
                return m.Measure("count_col", col, label=f"COUNT({col.name})")
            self._arithmetic()
        kinds = {exp.Sum: "sum", exp.Avg: "avg"}
        if type(node) in kinds:
            argument = _unwrap(node.this)
            if not isinstance(argument, exp.Column) or node.args.get("expression"):
                self._arithmetic()
            col = self._bounded(argument)
            name = kinds[type(node)]
            return m.Measure(name, col, label=f"{name.upper()}({col.name})")
        if isinstance(node, exp.Median | exp.PercentileCont | exp.Quantile):
            if not dp:
                refuse("function.not_allowed", f"不允许的函数 {_function_name(node).upper()}:"
                       + _DENIED_HINT["median"])  # fmt: skip
            argument = _unwrap(node.this)
            if not isinstance(argument, exp.Column):
                self._arithmetic()
            col = self._bounded(argument)
            alpha = 0.5 if isinstance(node, exp.Median) else _alpha(node)
            label = f"MEDIAN({col.name})" if alpha == 0.5 else f"QUANTILE({col.name}, {alpha:g})"
            return m.Measure("quantile", col, alpha=alpha, label=label)
        _denied(node)
        refuse(
            "function.not_allowed", "只能使用 COUNT、SUM、AVG(差分隐私另有 MEDIAN、QUANTILE_CONT)"
        )

    def _measured(self, col: m.Col) -> None:
        """A computed column of a derived dataset can be any function of a row — zero or
        empty for one person alone — so it is never counted or summed; it groups and filters,
        where low-effect detection judges what it does."""
        if col.name in self.scope.policy.tables[col.table].computed:
            refuse(
                "measure.computed",
                f"「{col.name}」是衍生数据计算出的列，只能用作分组或筛选条件，不能对它计数、求和"
                "或平均（可按它分组或筛选后用 COUNT(*)）",
            )

    def _bounded(self, node) -> m.Col:
        col = self.scope.column(node, "measure")
        self._measured(col)
        table = self.scope.policy.tables[col.table]
        if kind_of(col.type) != "number":
            refuse("measure.type", f"「{col.name}」不是数值列，不能求和或平均")
        if (table.personal or self.form == "dp") and col.name not in table.bounds:
            refuse(
                "measure.bounds" if self.form != "dp" else "dp.bounds",
                f"「{col.name}」没有声明取值范围（取值下限/上限），不能对它求和、平均或取分位数",
            )
        return col

    @staticmethod
    def _arithmetic():
        refuse(
            "measure.arithmetic",
            "聚合函数的参数只能是单独的一列（不含运算、条件或函数）；运算请在聚合结果之间进行",
        )


def _alpha(node) -> float:
    found = node.args.get("expression") or node.args.get("quantile")
    kind, value = literal(found) if found is not None else ("none", None)
    if kind != "number" or not 0 < float(value) < 1:
        refuse("dp.quantile", "分位数须为 0 到 1 之间的常数")
    return float(value)


def _post(node, measures: _Measures, keys: list[m.Operand], key_sql: list[str]):
    """An output expression over measures: + - * /, ROUND, numbers and group keys."""
    node = _unwrap(node)
    if isinstance(node, _AGGREGATE_NODES):
        return measures.add(node)
    if isinstance(node, exp.Literal) and not node.is_string:
        return m.Const(literal(node)[1])
    ops = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}
    if type(node) in ops:
        return m.Arith(
            ops[type(node)],
            _post(node.this, measures, keys, key_sql),
            _post(node.expression, measures, keys, key_sql),
        )
    if isinstance(node, exp.Neg):
        return m.Arith("-", m.Const(0), _post(node.this, measures, keys, key_sql))
    if isinstance(node, exp.Round):
        digits = node.args.get("decimals")
        kind, value = literal(digits) if digits is not None else ("number", 0)
        if kind != "number" or not float(value).is_integer() or not -12 <= value <= 12:
            refuse("shape.post", "ROUND 的位数须为整数常量")
        return m.Round(_post(node.this, measures, keys, key_sql), int(value))
    if _sql(node) in key_sql:
        return m.KeyRef(key_sql.index(_sql(node)))
    _denied(node)
    refuse(
        "shape.post",
        "输出列须是分组列，或聚合结果之间的四则运算与 ROUND（如 ROUND(SUM(a) / COUNT(*), 1)）",
    )


def _is_bucket(node, scope: Scope) -> bool:
    try:
        operand(node, scope, "projection")
    except Refusal:
        return False
    return True


def _has_aggregate(node) -> bool:
    return any(isinstance(n, exp.AggFunc) for n in node.walk())


def aggregate(tree: exp.Select, policy: Policy, form: str) -> m.Query:
    check_clauses(tree)
    sources, join = sources_of(tree, policy, form)
    scope = Scope(policy, form, sources)
    for source in sources:
        _ = scope.table(source)
    projections = tree.expressions
    if any(isinstance(p, exp.Star) or isinstance(_unwrap(p), exp.Star) for p in projections):
        refuse("shape.star", f"聚合查询须列出分组列和度量，不能用 *。支持：{SHAPES[form]}")
    aliases = {p.alias: p.this for p in projections if isinstance(p, exp.Alias)}
    # Group keys.
    keys: list[m.Operand] = []
    key_sql: list[str] = []
    group = tree.args.get("group")
    for item in group.expressions if group is not None else []:
        node = _unwrap(item)
        if isinstance(node, exp.Literal) and not node.is_string:
            position = int(float(node.this)) - 1
            if not 0 <= position < len(projections):
                refuse("shape.group", "GROUP BY 的序号超出输出列的范围")
            node = _unwrap(projections[position].unalias())
        elif isinstance(node, exp.Column) and not node.table and node.name in aliases:
            node = _unwrap(aliases[node.name])
        if isinstance(node, exp.Rollup | exp.Cube | exp.GroupingSets):
            refuse("shape.group", "不支持 ROLLUP、CUBE 和 GROUPING SETS")
        if _has_aggregate(node):
            refuse("shape.group", "GROUP BY 不能包含聚合函数")
        if _sql(node) in key_sql:
            continue
        keys.append(_key(node, scope, form))
        key_sql.append(_sql(node))
    if group is not None and (group.args.get("rollup") or group.args.get("cube")):
        refuse("shape.group", "不支持 ROLLUP、CUBE 和 GROUPING SETS")
    if group is not None and group.args.get("grouping_sets"):
        refuse("shape.group", "不支持 ROLLUP、CUBE 和 GROUPING SETS")
    # Outputs.
    measures = _Measures(scope, form)
    outputs = []
    for projection in projections:
        inner = _unwrap(projection.unalias())
        name = projection.alias or _display(inner)
        if not _has_aggregate(inner):
            if _sql(inner) in key_sql:
                outputs.append(m.Output(name, m.KeyRef(key_sql.index(_sql(inner))), "key"))
                continue
            if isinstance(inner, exp.Literal):
                outputs.append(m.Output(name, m.Const(literal(inner)[1]), "number"))
                continue
            _denied(inner)
            if isinstance(inner, exp.Column):
                scope.column(inner, "projection")  # an unauthorized column says so first
            if isinstance(inner, exp.Func) and not _is_bucket(inner, scope):
                refuse(
                    "function.not_allowed",
                    f"不允许的函数 {_function_name(inner).upper()}：输出列须是分组列或聚合结果",
                )
            refuse("shape.ungrouped", f"输出列「{name}」须是分组列或聚合结果。支持：{SHAPES[form]}")
        expr = _post(inner, measures, keys, key_sql)
        if form == "dp" and not isinstance(expr, m.MeasureRef | m.Round):
            pass  # post-processing of DP answers is free
        outputs.append(m.Output(name, expr, _kind(expr, measures.items)))
    if len({o.name for o in outputs}) != len(outputs):
        refuse("shape.names", "输出列名重复，请用 AS 为各列命名")
    where = where_of(tree, scope)
    having = None
    if tree.args.get("having") is not None:
        having = _having(tree.args["having"].this, measures, keys, key_sql, outputs)
    order = _order(tree, measures, keys, key_sql, outputs)
    limit, offset = _limit(tree, policy, offset=True)
    if form == "dp":
        _dp_rules(keys, measures.items, policy, join)
    return m.Query(
        form=form,
        sources=tuple(sources),
        join=join,
        where=where,
        keys=tuple(keys),
        measures=tuple(measures.items),
        outputs=tuple(outputs),
        having=having,
        order=order,
        limit=limit,
        offset=offset,
        used=frozenset(scope.used),
    )


def _key(node, scope: Scope, form: str) -> m.Operand:
    found = operand(node, scope, "key")
    if form == "dp":
        table = scope.policy.tables[found.col.table]
        if not (found.fn is None and found.col.name in table.categories) and found.fn != "case":
            refuse(
                "dp.keys",
                "差分隐私查询的分组列须是声明了取值集合的类别列，或以 CASE 划分的区段",
            )
    return found


def _dp_rules(keys, measures, policy: Policy, join) -> None:
    if not measures:
        refuse("shape.unsupported", f"至少需要一个度量。支持：{SHAPES['dp']}")
    if join is not None:
        refuse("join.form", "差分隐私查询只能查询一张表")


def _display(node) -> str:
    """The name of an unaliased output column: the expression as written (AVG(缴费基数))."""
    text = node.sql(dialect="duckdb", comments=False, normalize_functions="upper")
    return text.replace('"', "")[:64]


def _kind(expr, measures) -> str:
    if isinstance(expr, m.MeasureRef) and measures[expr.index].kind in (
        "count",
        "count_col",
        "units",
    ):
        return "count"
    return "number"


def _having(node, measures, keys, key_sql, outputs):
    node = _unwrap(node)
    if isinstance(node, exp.And | exp.Or):
        items = tuple(_having(x, measures, keys, key_sql, outputs) for x in node.flatten())
        return m.And(items) if isinstance(node, exp.And) else m.Or(items)
    if isinstance(node, exp.Not):
        return m.Not(_having(node.this, measures, keys, key_sql, outputs))
    ops = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
    if type(node) in ops:
        kind, value = literal(node.expression)
        if kind not in ("number", "string", "date", "bool"):
            refuse("shape.having", "HAVING 的比较值须为常量")
        return m.Having(
            ops[type(node)],
            _output_expr(node.this, measures, keys, key_sql, outputs, "shape.having"),
            value,
        )
    if isinstance(node, exp.Between):
        expr = _output_expr(node.this, measures, keys, key_sql, outputs, "shape.having")
        low, high = literal(node.args["low"])[1], literal(node.args["high"])[1]
        return m.And((m.Having(">=", expr, low), m.Having("<=", expr, high)))
    refuse("shape.having", "HAVING 只能比较输出结果与常量（作用于受保护的结果）")


def _output_expr(node, measures, keys, key_sql, outputs, rule="shape.order"):
    node = _unwrap(node)
    if isinstance(node, exp.Column) and not node.table:
        for output in outputs:
            if output.name == node.name:
                return output.expr
    if isinstance(node, exp.Literal) and not node.is_string and float(node.this).is_integer():
        position = int(float(node.this)) - 1
        if 0 <= position < len(outputs):
            return outputs[position].expr
        refuse(rule, "序号超出输出列的范围")
    if _sql(node) in key_sql:
        return m.KeyRef(key_sql.index(_sql(node)))
    if _has_aggregate(node):
        return _post(node, measures, keys, key_sql)
    refuse(rule, "ORDER BY 和 HAVING 只能使用输出列、分组列或聚合结果（作用于受保护的结果）")


def _order(tree, measures, keys, key_sql, outputs) -> tuple[m.Order, ...]:
    clause = tree.args.get("order")
    if clause is None:
        return ()
    found = []
    for ordered in clause.expressions:
        expr = _output_expr(ordered.this, measures, keys, key_sql, outputs)
        found.append(m.Order(expr, bool(ordered.args.get("desc"))))
    return tuple(found)


# --- De-identified records -----------------------------------------------------------------------


def records(tree: exp.Select, policy: Policy) -> m.Query:
    check_clauses(tree)
    sources, _join = sources_of(tree, policy, "deidentified")
    scope = Scope(policy, "deidentified", sources)
    table = policy.tables[sources[0].name]
    for clause, message in (("group", "GROUP BY"), ("having", "HAVING")):
        if tree.args.get(clause) is not None:
            refuse(
                "shape.unsupported", f"去标识化记录不含 {message}。支持：{SHAPES['deidentified']}"
            )
    if tree.args.get("order") is not None:
        refuse("shape.order", "去标识化记录按假名顺序返回，不能指定 ORDER BY")
    cols, names = [], []
    for projection in tree.expressions:
        inner = _unwrap(projection.unalias())
        if isinstance(inner, exp.Star):
            for column, forms in table.columns.items():
                if "deidentified" in forms:
                    cols.append(scope.column(exp.column(column, quoted=True), "projection"))
                    names.append(column)
            continue
        if _has_aggregate(inner):
            refuse("function.aggregate", "去标识化记录和模型输出不含聚合函数")
        if not isinstance(inner, exp.Column):
            refuse(
                "shape.unsupported", f"去标识化记录只能输出列本身。支持：{SHAPES['deidentified']}"
            )
        cols.append(scope.column(inner, "projection"))
        names.append(projection.alias or inner.name)
    if not cols:
        refuse("shape.unsupported", f"没有可输出的列。支持：{SHAPES['deidentified']}")
    where = where_of(tree, scope, lambda n: released_operand(n, scope))
    if where is not None:
        _declared_values_only(where, table)
    limit, _offset = _limit(tree, policy, offset=False)
    return m.Query(
        form="deidentified",
        sources=tuple(sources),
        where=where,
        limit=limit,
        projections=tuple(cols),
        names=tuple(names),
        used=frozenset(scope.used),
    )


def _declared_values_only(condition, table) -> None:
    """In the de-identified form, a column released as it is (not a quasi-identifier) is
    compared only for equality with its declared values: a range, a prefix or a value outside
    the set would narrow the rows to those around a value someone is known to have."""
    if isinstance(condition, m.And | m.Or):
        for item in condition.items:
            _declared_values_only(item, table)
        return
    if isinstance(condition, m.Not):
        _declared_values_only(condition.item, table)
        return
    target = getattr(condition, "left", None)
    if target is None or target.fn is not None or target.col.name in table.quasi_identifiers:
        return
    allowed = set(table.categories.get(target.col.name, ()))
    name = target.col.name
    if isinstance(condition, m.IsNull):
        return
    if isinstance(condition, m.Compare) and condition.op in ("=", "<>"):
        values = [condition.value]
    elif isinstance(condition, m.InList):
        values = list(condition.values)
    else:
        refuse("filter.column", f"「{name}」按原值发布，只能用 =、<> 或 IN 比较其声明的取值")
    if any(value not in allowed for value in values):
        refuse("filter.column", f"「{name}」只能按其声明的取值筛选")


def released_operand(node, scope: Scope) -> m.Operand:
    """A filter on a de-identified column compares its released form: a quasi-identifier
    generalised (a date to its month, a number to its band of ten, text outside its declared
    set to two characters); identifiers and the privacy unit are never filtered on."""
    node = _unwrap(node)
    if not isinstance(node, exp.Column):
        refuse("filter.shape", "去标识化记录只能按列本身的发布形式筛选")
    col = scope.column(node, "filter")
    table = scope.policy.tables[col.table]
    if col.name not in table.quasi_identifiers:
        # A column released as it is may be filtered on only by its declared values: a range
        # over amounts narrows the rows to the few around one a person is known to have, and
        # their row then comes back whole (the seventh attack).
        if col.name not in table.categories:
            refuse(
                "filter.column",
                f"去标识化记录只能按准标识符（的发布形式）或声明了取值集合的列筛选："
                f"「{col.name}」按原值发布，按它筛选能把记录缩小到某人附近",
            )
        return m.Operand(col, None, None, col.type, col.name)
    kind = kind_of(col.type)
    if kind in ("date", "timestamp"):
        return m.Operand(col, "generalise", ("month", ()), "VARCHAR", col.name)
    if kind == "number":
        return m.Operand(col, "generalise", ("number", ()), col.type, col.name)
    categories = tuple(table.categories.get(col.name, ()))
    return m.Operand(col, "generalise", ("text", categories), "VARCHAR", col.name)


# --- Model output --------------------------------------------------------------------------------


def lookup(tree: exp.Select, policy: Policy) -> m.Query:
    check_clauses(tree)
    sources, _join = sources_of(tree, policy, "model")
    scope = Scope(policy, "model", sources)
    table = policy.tables[sources[0].name]
    if not table.derived:
        refuse(
            "model.not_derived",
            "模型输出只能来自在专区内构建的模型结果（衍生数据），不能直接查原始数据",
        )
    for clause in ("group", "having", "order", "limit", "offset"):
        if tree.args.get(clause) is not None:
            refuse("model.one_object", f"模型输出每次只针对一个对象。支持：{SHAPES['model']}")
    cols, names = [], []
    for projection in tree.expressions:
        inner = _unwrap(projection.unalias())
        if _has_aggregate(inner):
            refuse("function.aggregate", "去标识化记录和模型输出不含聚合函数")
        if not isinstance(inner, exp.Column):
            refuse("shape.unsupported", f"模型输出只能输出结果列本身。支持：{SHAPES['model']}")
        col = scope.column(inner, "projection")
        if table.protected(col.name):
            refuse("model.identifier", f"模型输出不含标识符「{col.name}」")
        cols.append(col)
        names.append(projection.alias or inner.name)
    where = tree.args.get("where")
    node = _unwrap(where.this) if where is not None else None
    key = table.privacy_unit
    if not isinstance(node, exp.EQ) or not any(
        isinstance(_unwrap(x), exp.Column) and _unwrap(x).name == key
        for x in (node.this, node.expression)
    ):
        refuse("model.one_object", f"模型输出每次只针对一个对象：WHERE 只能是 {key} = 值")
    column, value = (
        (node.this, node.expression)
        if isinstance(_unwrap(node.this), exp.Column)
        else (node.expression, node.this)
    )
    col = scope.column(_unwrap(column), "model_key")
    target = m.Operand(col, None, None, col.type, col.name)
    kind, raw = literal(value)
    return m.Query(
        form="model",
        sources=tuple(sources),
        where=m.Compare("=", target, coerce(target, kind, raw)),
        projections=tuple(cols),
        names=tuple(names),
        used=frozenset(scope.used),
    )


def translate(tree: exp.Select, policy: Policy, form: str) -> m.Query:
    if form in ("aggregate", "dp"):
        return aggregate(tree, policy, form)
    if form == "deidentified":
        return records(tree, policy)
    return lookup(tree, policy)


__all__ = ["filter_of", "translate"]
