"""Submitted SQL → the query model. This module is the allow-list: it recognises the shapes
`model.py` can hold, node by node, and refuses everything else with a rule that names what
the zone does answer. Nothing here reads data, so no refusal can depend on it.

Column rules, for every form:
- a column must be authorized for the query's output form;
- the privacy unit and the direct identifiers are never in a filter, a group key, an order, a
  join (but a declared one) or a measure — except COUNT(DISTINCT unit), the model form's key,
  and de-identified projections (which release them only as pseudonyms);
- literals are typed against the column before anything runs.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import sqlglot
from sqlglot import exp

from pdao.zone.engine import model as m
from pdao.zone.engine.errors import refuse
from pdao.zone.engine.types import Join, Policy, TablePolicy

MAX_SQL_CHARS = 20_000
SHAPES = {
    "aggregate": "SELECT 分组…, 度量… FROM 表 [JOIN 声明的关联表 ON 声明的键] "
    "[WHERE 列与常量的比较] "
    "[GROUP BY 列或分桶…] [HAVING 对结果的条件] [ORDER BY 输出列] [LIMIT n]。度量：COUNT(*)、"
    "COUNT(列)、COUNT(DISTINCT 隐私单元)、SUM(列)、AVG(列)（列须有声明的取值范围），"
    "度量之间可做四则运算和 ROUND",
    "dp": "SELECT 分组…, COUNT(*)/COUNT(DISTINCT 隐私单元)/SUM(列)/AVG(列)/MEDIAN(列)/"
    "QUANTILE_CONT(列, q) FROM 表 [WHERE 列与常量的比较] [GROUP BY 有声明取值集合的列…]",
    "deidentified": "SELECT 列, 列… FROM 表 [WHERE 对发布形式的比较] [LIMIT n]"
    "（仅列本身；按假名顺序返回，不可排序或翻页）",
    "model": "SELECT 结果列… FROM 模型表 WHERE 模型键 = 值（每次一个对象，不含标识符）",
}
BUCKETS = (
    "YEAR/QUARTER/MONTH/DAY/HOUR/DAYOFWEEK(日期)、date_trunc('year|quarter|month|week|day', 日期)、"
    "strftime(日期, '%Y'|'%Y-%m'|'%Y-%m-%d'|'%m'|'%H')、CAST(时间 AS DATE)、"
    "FLOOR(数值 / 宽度) * 宽度、(数值 // 宽度) * 宽度、数值 // 宽度、LEFT(文本, n)、"
    "CASE WHEN 列 < 常量 THEN '标签' … ELSE '标签' END"
)
FILTERS = (
    "列或分桶 与常量的 =、<>、<、<=、>、>=、IN、BETWEEN、LIKE '前缀%'、IS [NOT] NULL,"
    "以 AND/OR/NOT 组合"
)
FORMATS = {"%Y", "%Y-%m", "%Y-%m-%d", "%Y%m", "%m", "%H", "%Y-%m-%d %H"}
TRUNC_UNITS = {"year", "quarter", "month", "week", "day", "hour"}
PARTS = {"year", "quarter", "month", "day", "hour", "dayofweek", "dow", "isodow", "week"}
_ALLOWED_ARGS = {"expressions", "from_", "from", "joins", "where", "group", "having", "order"}
_ALLOWED_ARGS |= {"limit", "offset"}
_MEASURES = {exp.Count: "count", exp.Sum: "sum", exp.Avg: "avg"}
_QUANTILES = (exp.Median, exp.PercentileCont, exp.Quantile)
_DENIED_HINT = {
    "min": "MIN/MAX 会输出个体的真实取值",
    "max": "MIN/MAX 会输出个体的真实取值",
    "string_agg": "拼接个体取值",
    "group_concat": "拼接个体取值",
    "list": "输出个体取值列表",
    "array_agg": "输出个体取值列表",
    "any_value": "输出个体的真实取值",
    "first": "输出个体的真实取值",
    "last": "输出个体的真实取值",
    "arbitrary": "输出个体的真实取值",
    "arg_max": "输出个体的真实取值",
    "arg_min": "输出个体的真实取值",
    "histogram": "输出个体取值",
    "mode": "输出个体的真实取值",
    "median": "中位数是个体的真实取值（仅差分隐私形式提供）",
    "quantile": "分位数是个体的真实取值（仅差分隐私形式提供）",
    "quantile_cont": "分位数是个体的真实取值（仅差分隐私形式提供）",
    "percentile_cont": "分位数是个体的真实取值（仅差分隐私形式提供）",
}
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT")
NUMERIC += ("UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL", "NUMERIC")


def kind_of(duck_type: str) -> str:
    """text / number / date / timestamp / bool / other, for a DuckDB type name."""
    name = duck_type.upper()
    if name.startswith(("VARCHAR", "TEXT", "STRING")):
        return "text"
    if name.startswith(NUMERIC):
        return "number"
    if name == "DATE":
        return "date"
    if name.startswith("TIMESTAMP"):
        return "timestamp"
    if name.startswith("BOOL"):
        return "bool"
    return "other"


# --- Parsing -------------------------------------------------------------------------------------


def parse(sql: str) -> exp.Expression:
    """One SELECT statement as a sqlglot tree; every other statement is refused here."""
    if not isinstance(sql, str) or not sql.strip():
        refuse("sql.empty", "请输入一条查询语句")
    if len(sql) > MAX_SQL_CHARS:
        refuse("sql.too_long", f"SQL 超过 {MAX_SQL_CHARS} 个字符")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except Exception:  # sqlglot raises ParseError, TokenError and, on deep nesting, others
        refuse("sql.parse", "SQL 无法解析（按 DuckDB 语法）")
    if len(statements) != 1:
        refuse("sql.one_statement", "只能提交一条查询语句")
    tree = statements[0]
    if isinstance(tree, exp.SetOperation):
        refuse("shape.set_operation", "不支持 UNION/INTERSECT/EXCEPT:多步加工请先生成衍生数据")
    if not isinstance(tree, exp.Select):
        refuse("sql.not_a_query", "只允许查询语句（SELECT），不允许其他语句")
    if tree.args.get("with_") or tree.args.get("with") or tree.find(exp.With, exp.CTE):
        refuse("shape.cte", "不支持 WITH(公用表表达式)：多步加工请先生成衍生数据，再查询它")
    if tree.find(exp.Window):
        refuse("sql.window", "不支持窗口函数：窗口内可逐行输出个体取值")
    if tree.find(exp.Lateral):
        refuse("sql.lateral", "不支持 LATERAL 连接")
    if any(node is not tree for node in tree.find_all(exp.Select)) or tree.find(exp.Subquery):
        refuse("shape.subquery", "不支持子查询：多步加工请先生成衍生数据，再查询它")
    return tree


# --- Scope: tables and columns -------------------------------------------------------------------


class Scope:
    """The tables a query reads, by alias, and the rules for naming their columns."""

    def __init__(self, policy: Policy, form: str, sources: list[m.Source]):
        self.policy, self.form = policy, form
        self.sources = sources
        self.by_alias = {s.alias: s for s in sources}
        self.used: set[tuple[str, str]] = set()

    def table(self, source: m.Source) -> TablePolicy:
        return self.policy.tables[source.name]

    def column(self, node: exp.Column, role: str) -> m.Col:
        """Resolve a column for a role: filter, key, order, measure, units, projection,
        model_key, derive_value, join."""
        if not isinstance(node, exp.Column) or not isinstance(node.this, exp.Identifier):
            refuse("shape.unsupported", "无法识别的列引用")
        if node.args.get("db") or node.args.get("catalog"):
            refuse(
                "columns.unauthorized", f"列不存在或不在授权范围内：{node.sql(dialect='duckdb')}"
            )
        name, qualifier = node.name, node.table
        sources = [self.by_alias[qualifier]] if qualifier in self.by_alias else []
        if qualifier and not sources:
            refuse("columns.unresolved", f"没有别名为「{qualifier}」的数据表")
        if not qualifier:
            sources = self.sources
        known = "types" if role == "join" else "columns"
        found = [s for s in sources if name in getattr(self.table(s), known)]
        if not found:
            hidden = any(name in self.table(s).types for s in sources)
            rule = "columns.unauthorized"
            refuse(
                rule,
                f"列不存在或不在授权范围内：{name}" if not hidden else f"列不在授权范围内：{name}",
            )
        if len(found) > 1:
            refuse("columns.ambiguous", f"列「{name}」在多个表中都有，请加上表别名")
        source = found[0]
        table = self.table(source)
        checked = role not in ("join", "derive_value") and self.form != "derive"
        if checked and self.form not in table.columns[name]:
            refuse("columns.form_not_allowed", f"列「{name}」不允许以此输出形式使用")
        if role in ("filter", "key", "order", "measure") and table.protected(name):
            refuse(
                "columns.identifier",
                f"「{name}」是隐私单元或直接标识符，不能用于筛选、分组、排序或计算",
            )
        if role == "units" and name not in table.units:
            refuse("measure.count_distinct", "COUNT(DISTINCT …) 只能统计隐私单元的个数")
        self.used.add((source.name, name))
        return m.Col(source.name, source.alias, name, table.types[name])


def sources_of(
    tree: exp.Select, policy: Policy, form: str
) -> tuple[list[m.Source], m.JoinUse | None]:
    """The FROM table and at most one declared join."""
    clause = tree.args.get("from_") or tree.args.get("from")
    if clause is None:
        refuse("shape.unsupported", "查询须有 FROM 子句")
    first = _source(clause.this, policy)
    joins = tree.args.get("joins") or []
    if not joins:
        return [first], None
    if form in ("dp", "deidentified", "model"):
        refuse("join.form", "差分隐私、去标识化记录和模型输出只能查询一张表")
    if len(joins) > 1:
        refuse("join.many", "一次查询最多关联一张声明的关联表")
    join = joins[0]
    second = _source(join.this, policy)
    if second.name == first.name:
        refuse("join.self", "不允许表与自身关联：自关联可以把他人的取值挂到每个人名下")
    if second.alias == first.alias:
        refuse("join.alias", "两张表须使用不同的别名")
    kind = (join.args.get("kind") or "").upper()
    side = (join.args.get("side") or "").upper()
    if kind not in ("", "INNER", "OUTER") or side not in ("", "LEFT") or join.args.get("using"):
        refuse("join.kind", "只支持 [INNER] JOIN 或 LEFT JOIN … ON 声明的关联键")
    if kind == "OUTER" and side != "LEFT":
        refuse("join.kind", "只支持 [INNER] JOIN 或 LEFT JOIN … ON 声明的关联键")
    scope = Scope(policy, form, [first, second])
    on = join.args.get("on")
    while isinstance(on, exp.Paren):
        on = on.this
    if not isinstance(on, exp.EQ) or not all(
        isinstance(x, exp.Column) for x in (on.this, on.expression)
    ):
        refuse("join.undeclared", "关联条件只能是声明的关联键相等（如 a.单位代码 = b.信用代码）")
    a, b = scope.column(on.this, "join"), scope.column(on.expression, "join")
    declared = _declared(policy.joins, a, b)
    if declared is None:
        refuse(
            "join.undeclared",
            f"「{a.table}.{a.name} = {b.table}.{b.name}」不是数据局声明的关联；"
            "只能按声明的关联键连接",
        )
    left, right = (a, b) if (a.table, a.name) == (declared.left, declared.left_column) else (b, a)
    if left.alias != first.alias:
        refuse("join.direction", f"请以「{declared.left}」为主表关联「{declared.right}」")
    return [first, second], m.JoinUse(left, right, "left" if side == "LEFT" else "inner")


def _declared(joins: tuple[Join, ...], a: m.Col, b: m.Col) -> Join | None:
    for join in joins:
        ends = {(join.left, join.left_column), (join.right, join.right_column)}
        if {(a.table, a.name), (b.table, b.name)} == ends:
            return join
    return None


def _source(node, policy: Policy) -> m.Source:
    if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Identifier):
        refuse("table.not_allowed", "只能查询授权的数据表，不能使用表函数、文件路径或其他库")
    if node.args.get("db") or node.args.get("catalog") or node.args.get("joins"):
        refuse("table.not_allowed", "只能查询授权的数据表，不能使用表函数、文件路径或其他库")
    if any(node.args.get(k) for k in ("laterals", "pivots", "sample", "hints", "version")):
        refuse("table.not_allowed", "只能直接查询授权的数据表")
    name = node.name
    if name not in policy.tables:
        refuse("table.unauthorized", f"不在授权范围内的数据表：{name}")
    alias = node.alias or name
    return m.Source(name, alias)


def check_clauses(tree: exp.Select) -> None:
    present = {key for key, value in tree.args.items() if value not in (None, [], False)}
    extra = present - _ALLOWED_ARGS
    if "distinct" in extra:
        refuse("shape.distinct", "不支持 SELECT DISTINCT:请用 GROUP BY")
    if extra:
        refuse("shape.unsupported", "不支持的查询子句：" + "、".join(sorted(extra)))


# --- Literals ------------------------------------------------------------------------------------


def literal(node) -> tuple[str, object]:
    """(kind, value) of a constant: string, number, date, timestamp, bool, null."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Null):
        return "null", None
    if isinstance(node, exp.Boolean):
        return "bool", bool(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        kind, value = literal(node.this)
        return kind, -value
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "string", str(node.this)
        text = str(node.this)
        try:
            value = int(text) if re.fullmatch(r"\d+", text) else float(text)
        except ValueError:
            refuse("filter.literal", "无法识别的数值常量")
        if isinstance(value, float) and not math.isfinite(value):
            refuse("filter.literal", "数值常量须为有限数")
        if isinstance(value, int) and abs(value) > 2**62:
            value = float(value)
        return "number", value
    if isinstance(node, exp.Cast | exp.TryCast) and isinstance(node.this, exp.Literal):
        target = node.to.sql(dialect="duckdb").upper()
        text = str(node.this.this)
        try:
            if target == "DATE":
                return "date", date.fromisoformat(text)
            if target.startswith("TIMESTAMP"):
                return "timestamp", datetime.fromisoformat(text)
        except ValueError:
            refuse("filter.literal", f"无法识别的日期或时间常量：{text[:40]}")
    refuse("filter.literal", "比较的一侧须为常量（字符串、数值、DATE '…' 或 TIMESTAMP '…'）")


_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_TEXT = re.compile(r"^\d{4}-\d{2}$")


def coerce(operand: m.Operand, kind: str, value):
    """The literal as a value of the operand's type, or a refusal that names both."""
    want = kind_of(operand.type) if operand.fn != "generalise" else operand.arg[0]
    if kind == "null":
        refuse("filter.literal", "与 NULL 的比较请写 IS NULL 或 IS NOT NULL")
    if want == "text" and kind == "string":
        return value
    if want == "number" and kind == "number":
        return value
    if want == "bool" and kind == "bool":
        return value
    if want == "date":
        if kind == "date":
            return value
        if kind == "string" and _DATE_TEXT.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
    if want == "timestamp":
        if kind == "timestamp":
            return value
        if kind == "date":
            return datetime(value.year, value.month, value.day)  # noqa: DTZ001 (a naive column)
        if kind == "string":
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
    if want == "month":  # a generalised date: its month as YYYY-MM
        if kind == "string" and _MONTH_TEXT.match(value):
            return value
        if kind in ("date", "timestamp"):
            return value.strftime("%Y-%m")
    names = {"text": "文本", "number": "数值", "date": "日期（如 DATE '2024-01-01'）",
             "timestamp": "时间（如 TIMESTAMP '2024-01-01 08:00:00'）", "bool": "TRUE/FALSE",
             "month": "月份（如 '2024-03'）"}  # fmt: skip
    refuse(
        "filter.type",
        f"「{operand.label}」的比较值须为{names.get(want, '同类型的常量')}",
    )


# --- Operands: a column or a declared bucketing of it -------------------------------------------


def _unwrap(node):
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _int_arg(node) -> int | None:
    node = _unwrap(node)
    if (
        isinstance(node, exp.Literal)
        and not node.is_string
        and re.fullmatch(r"\d+", str(node.this))
    ):
        return int(node.this)
    return None


def _num_arg(node) -> float | None:
    node = _unwrap(node)
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            value = float(node.this)
        except ValueError:
            return None
        return value if math.isfinite(value) and value > 0 else None
    return None


def _text(node) -> str | None:
    node = _unwrap(node)
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if isinstance(node, exp.Var):
        return str(node.this)
    return None


def operand(node, scope: Scope, role: str) -> m.Operand:
    """A column or a bucketing of one (docs/zone.md lists them); anything else is refused."""
    node = _unwrap(node)
    if isinstance(node, exp.Column):
        col = scope.column(node, role)
        return m.Operand(col, None, None, col.type, col.name)
    found = _bucket(node, scope, role)
    if found is None:
        text = node.sql(dialect="duckdb")[:60]
        refuse(
            "filter.function" if role == "filter" else "key.function",
            f"分组和筛选只能使用列本身或声明的分桶，不支持「{text}」。分桶：{BUCKETS}",
        )
    return found


def _dated(node, scope: Scope, role: str) -> m.Col:
    col = scope.column(_unwrap(node), role) if isinstance(_unwrap(node), exp.Column) else None
    if col is None or kind_of(col.type) not in ("date", "timestamp"):
        refuse("key.function", "日期分桶只能作用于日期或时间列")
    return col


def _bucket(node, scope: Scope, role: str) -> m.Operand | None:
    parts = {exp.Year: "year", exp.Quarter: "quarter", exp.Month: "month", exp.Day: "day"}
    parts |= {exp.DayOfWeek: "dayofweek", exp.Hour: "hour"}
    for klass, part in parts.items():
        if type(node) is klass:
            col = _dated(node.this, scope, role)
            return m.Operand(col, "part", part, "BIGINT", f"{part.upper()}({col.name})")
    if isinstance(node, exp.Extract):
        part = (_text(node.this) or "").lower()
        if part in PARTS:
            col = _dated(node.expression, scope, role)
            return m.Operand(col, "part", _part(part), "BIGINT", f"{part.upper()}({col.name})")
        return None
    if isinstance(node, exp.TimestampTrunc | exp.DateTrunc):
        unit = (_text(node.args.get("unit")) or "").lower()
        if unit in TRUNC_UNITS:
            col = _dated(node.this, scope, role)
            kind = "DATE" if kind_of(col.type) == "date" and unit != "hour" else "TIMESTAMP"
            return m.Operand(col, "trunc", unit, kind, f"date_trunc('{unit}', {col.name})")
        return None
    if isinstance(node, exp.TimeToStr):
        fmt = _text(node.args.get("format"))
        if fmt in FORMATS:
            col = _dated(node.this, scope, role)
            return m.Operand(col, "format", fmt, "VARCHAR", f"strftime({col.name}, '{fmt}')")
        return None
    if isinstance(node, exp.Anonymous):
        name, args = str(node.this).lower(), node.expressions
        if name in ("date_part", "datepart") and len(args) == 2:
            part = (_text(args[0]) or "").lower()
            if part in PARTS:
                col = _dated(args[1], scope, role)
                return m.Operand(col, "part", _part(part), "BIGINT", f"{part.upper()}({col.name})")
        if name in ("hour", "dayofweek", "isodow") and len(args) == 1:
            col = _dated(args[0], scope, role)
            return m.Operand(col, "part", _part(name), "BIGINT", f"{name.upper()}({col.name})")
        if name == "strftime" and len(args) == 2 and _text(args[1]) in FORMATS:
            col, fmt = _dated(args[0], scope, role), _text(args[1])
            return m.Operand(col, "format", fmt, "VARCHAR", f"strftime({col.name}, '{fmt}')")
        if (
            name == "date_trunc"
            and len(args) == 2
            and (_text(args[0]) or "").lower() in TRUNC_UNITS
        ):
            unit, col = _text(args[0]).lower(), _dated(args[1], scope, role)
            kind = "DATE" if kind_of(col.type) == "date" and unit != "hour" else "TIMESTAMP"
            return m.Operand(col, "trunc", unit, kind, f"date_trunc('{unit}', {col.name})")
        if name in ("left", "substr", "substring", "prefix"):
            return _prefix(node, args, scope, role)
        return None
    if isinstance(node, exp.Cast) and isinstance(_unwrap(node.this), exp.Column):
        target = node.to.sql(dialect="duckdb").upper()
        col = scope.column(_unwrap(node.this), role)
        if target == "DATE" and kind_of(col.type) == "timestamp":
            return m.Operand(col, "trunc", "day", "DATE", f"CAST({col.name} AS DATE)")
        return None
    if isinstance(node, exp.Left):
        return _prefix(node, [node.this, node.expression], scope, role)
    if isinstance(node, exp.Substring):
        start, length = node.args.get("start"), node.args.get("length")
        if _int_arg(start) == 1 and length is not None:
            return _prefix(node, [node.this, length], scope, role)
        return None
    return _band(node, scope, role) or _case(node, scope, role)


def _part(name: str) -> str:
    return {"dow": "dayofweek", "isodow": "isodow", "week": "week"}.get(name, name)


def _prefix(node, args, scope: Scope, role: str) -> m.Operand | None:
    if len(args) == 3 and _int_arg(args[1]) == 1:
        args = [args[0], args[2]]
    if len(args) != 2 or not isinstance(_unwrap(args[0]), exp.Column):
        return None
    length = _int_arg(args[1])
    if not length:
        return None
    col = scope.column(_unwrap(args[0]), role)
    if kind_of(col.type) != "text":
        refuse("key.function", "前缀分桶只能作用于文本列")
    return m.Operand(col, "prefix", length, "VARCHAR", f"LEFT({col.name}, {length})")


def _band(node, scope: Scope, role: str) -> m.Operand | None:
    """FLOOR(x / w) * w, (x // w) * w: the band's lower bound; x // w: the band's number."""
    node = _unwrap(node)
    if isinstance(node, exp.IntDiv) and isinstance(_unwrap(node.this), exp.Column):
        width = _num_arg(node.expression)
        if width:
            col = _banded(node.this, width, scope, role)
            return m.Operand(col, "div", width, "BIGINT", f"{col.name} // {_fmt(width)}")
        return None
    if not isinstance(node, exp.Mul):
        return None
    width = _num_arg(node.expression)
    inner = _unwrap(node.this)
    if not width:
        return None
    if isinstance(inner, exp.Floor):
        inner = _unwrap(inner.this)
        if isinstance(inner, exp.Div) and _num_arg(inner.expression) == width:
            column = _unwrap(inner.this)
        else:
            return None
    elif isinstance(inner, exp.IntDiv) and _num_arg(inner.expression) == width:
        column = _unwrap(inner.this)
    else:
        return None
    if not isinstance(column, exp.Column):
        return None
    col = _banded(column, width, scope, role)
    kind = (
        "BIGINT" if col.type.upper() in ("BIGINT", "INTEGER") and width.is_integer() else "DOUBLE"
    )
    return m.Operand(col, "band", width, kind, f"FLOOR({col.name} / {_fmt(width)}) * {_fmt(width)}")


def _numeric(node, scope: Scope, role: str) -> m.Col:
    col = scope.column(_unwrap(node), role)
    if kind_of(col.type) != "number":
        refuse("key.function", "分段只能作用于数值列")
    return col


# A band's number must fit a 64-bit integer over the column's whole declared range, whatever
# the rows: checked from the declaration, so no value decides whether a query runs.
BAND_NUMBERS_AT_MOST = 2.0**62


def _banded(node, width: float, scope: Scope, role: str) -> m.Col:
    col = _numeric(node, scope, role)
    bounds = scope.policy.tables[col.table].bounds.get(col.name)
    if bounds is not None:
        widest = max(abs(float(bounds[0])), abs(float(bounds[1])))
        if not math.isfinite(widest / width) or widest / width > BAND_NUMBERS_AT_MOST:
            refuse("key.function", f"分段宽度 {_fmt(width)} 过小：该列的声明范围内分段数超出上限")
    return col


def _fmt(width: float) -> str:
    return str(int(width)) if float(width).is_integer() else repr(width)


def _case(node, scope: Scope, role: str) -> m.Operand | None:
    """CASE WHEN x < a THEN 'l1' WHEN x < b THEN 'l2' … ELSE 'ln' END over one column."""
    node = _unwrap(node)
    if not isinstance(node, exp.Case) or node.this is not None:
        return None
    column, branches = None, []
    for branch in node.args.get("ifs") or []:
        test = _unwrap(branch.this)
        if not isinstance(test, exp.LT | exp.LTE | exp.GT | exp.GTE | exp.EQ):
            return None
        left, right = _unwrap(test.this), _unwrap(test.expression)
        if not isinstance(left, exp.Column):
            return None
        if column is None:
            column = left
        elif left.name != column.name or left.table != column.table:
            return None
        ops = {exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">=", exp.EQ: "="}
        branches.append((ops[type(test)], right, branch.args.get("true")))
    if column is None:
        return None
    col = scope.column(column, role)
    plain = m.Operand(col, None, None, col.type, col.name)
    arms, labels = [], []
    for op, threshold, label in branches:
        arms.append((op, coerce(plain, *literal(threshold)), _label(label)))
        labels.append(arms[-1][2])
    default = node.args.get("default")
    otherwise = _label(default) if default is not None else None
    labels.append(otherwise)
    texts = {type(v) for v in labels if v is not None}
    if len(texts) > 1:
        refuse("key.function", "CASE 分段的标签须为同一类型的常量")
    kind = "VARCHAR" if texts <= {str} else "DOUBLE" if float in texts else "BIGINT"
    if texts == {bool}:
        kind = "BOOLEAN"
    return m.Operand(col, "case", (tuple(arms), otherwise), kind, f"CASE({col.name})")


def _label(node):
    kind, value = literal(node)
    if kind in ("date", "timestamp"):
        refuse("key.function", "CASE 分段的标签须为文本或数值常量")
    return value


# --- Filters -------------------------------------------------------------------------------------

_COMPARE = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
_FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _is_constant(node) -> bool:
    node = _unwrap(node)
    if isinstance(node, exp.Literal | exp.Boolean | exp.Null):
        return True
    if isinstance(node, exp.Neg):
        return _is_constant(node.this)
    return isinstance(node, exp.Cast | exp.TryCast) and isinstance(node.this, exp.Literal)


def filter_of(node, scope: Scope, make_operand=None) -> m.Filter:
    """A WHERE clause in the model: comparisons of a column (or bucketing) with constants."""
    make = make_operand or (lambda n: operand(n, scope, "filter"))
    node = _unwrap(node)
    if isinstance(node, exp.And | exp.Or):
        items = tuple(filter_of(x, scope, make) for x in node.flatten())
        return m.And(items) if isinstance(node, exp.And) else m.Or(items)
    if isinstance(node, exp.Not):
        return m.Not(filter_of(node.this, scope, make))
    if isinstance(node, exp.Boolean):
        return m.Truth(bool(node.this))
    if type(node) in _COMPARE:
        op = _COMPARE[type(node)]
        left, right = node.this, node.expression
        if _is_constant(left) and not _is_constant(right):
            left, right, op = right, left, _FLIP[op]
        if _is_constant(left) or not _is_constant(right):
            refuse("filter.shape", f"筛选条件只能是列与常量的比较。支持：{FILTERS}")
        target = make(left)
        return m.Compare(op, target, coerce(target, *literal(right)))
    if isinstance(node, exp.In):
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            refuse("shape.subquery", "IN 只能列出常量，不支持子查询")
        target = make(node.this)
        values = tuple(coerce(target, *literal(v)) for v in node.expressions)
        if not values or len(values) > 1000:
            refuse("filter.shape", "IN 须列出 1 到 1000 个常量")
        return m.InList(target, values)
    if isinstance(node, exp.Between):
        target = make(node.this)
        low = coerce(target, *literal(node.args["low"]))
        return m.Between(target, low, coerce(target, *literal(node.args["high"])))
    if isinstance(node, exp.Like):
        target = make(node.this)
        if kind_of(target.type) != "text" or node.args.get("escape"):
            refuse("filter.like", "LIKE 只能用于文本列，且只支持 '前缀%' 形式")
        kind, pattern = literal(node.expression)
        if kind != "string" or "_" in pattern or "%" in pattern[:-1] or "\\" in pattern:
            refuse("filter.like", "LIKE 只支持 '前缀%' 形式（前缀中不含 % 和 _）")
        found = (
            m.Prefix(target, pattern[:-1])
            if pattern.endswith("%")
            else m.Compare("=", target, pattern)
        )
        return m.Not(found) if node.args.get("negate") else found
    if isinstance(node, exp.Escape):
        refuse("filter.like", "LIKE 只支持 '前缀%' 形式（不支持 ESCAPE）")
    if isinstance(node, exp.Is) and isinstance(_unwrap(node.expression), exp.Null):
        return m.IsNull(make(node.this))
    refuse("filter.shape", f"不支持的筛选条件。支持：{FILTERS}")


def where_of(tree: exp.Select, scope: Scope, make_operand=None) -> m.Filter | None:
    clause = tree.args.get("where")
    return filter_of(clause.this, scope, make_operand) if clause is not None else None
