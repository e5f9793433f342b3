"""Typed parameters of an API product: their declaration, validation, and binding into the SQL
template as literals of the parsed tree (sqlglot), so a value can never become SQL.

Pure: no Django. The template names parameters as `:name`; each has a declaration:

    {"name": "kind", "type": "choice", "label": "险种", "choices": ["养老保险", "医疗保险"]}
    {"name": "since", "type": "date", "label": "起始日期", "required": false,
     "default": "2024-01-01"}
    {"name": "top", "type": "integer", "label": "前 N 名", "minimum": 1, "maximum": 50}
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlglot
from sqlglot import exp

TYPES = ("integer", "number", "string", "date", "choice")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
MAX_STRING = 200
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SpecError(ValueError):
    """A parameter declaration or the template is malformed (the operator's mistake)."""


@dataclass(frozen=True)
class Problem:
    """One invalid parameter value: a stable code and a message in Chinese and English."""

    name: str
    code: str
    zh: str
    en: str


class ParamError(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.name}: {p.code}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    label: str
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = field(default_factory=tuple)
    max_length: int = MAX_STRING
    default: object = None

    def as_dict(self) -> dict:
        out = {"name": self.name, "type": self.type, "label": self.label}
        if not self.required:
            out["required"] = False
        for key in ("minimum", "maximum", "default"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.choices:
            out["choices"] = list(self.choices)
        if self.type == "string" and self.max_length != MAX_STRING:
            out["max_length"] = self.max_length
        return out


def parse_specs(raw: list) -> list[Param]:
    """Declarations from their JSON form; raises SpecError naming the first problem."""
    if not isinstance(raw, list):
        raise SpecError("参数声明应为列表")
    specs, seen = [], set()
    for item in raw:
        if not isinstance(item, dict):
            raise SpecError("每个参数声明应为对象")
        name, kind = item.get("name"), item.get("type")
        if not isinstance(name, str) or not NAME.match(name):
            raise SpecError(f"参数名 {name!r} 无效：只能用字母、数字和下划线")
        if name in seen:
            raise SpecError(f"参数 {name} 重复声明")
        if kind not in TYPES:
            raise SpecError(f"参数 {name} 的类型应为 {'/'.join(TYPES)} 之一")
        unknown = set(item) - {
            "name", "type", "label", "required", "minimum", "maximum", "choices",
            "max_length", "default",
        }  # fmt: skip
        if unknown:
            raise SpecError(f"参数 {name} 有未知属性：{', '.join(sorted(unknown))}")
        choices = tuple(item.get("choices") or ())
        if kind == "choice" and not choices:
            raise SpecError(f"枚举参数 {name} 需要 choices")
        spec = Param(
            name=name,
            type=kind,
            label=str(item.get("label") or name)[:50],
            required=bool(item.get("required", True)),
            minimum=item.get("minimum"),
            maximum=item.get("maximum"),
            choices=choices,
            max_length=int(item.get("max_length", MAX_STRING)),
            default=item.get("default"),
        )
        if not spec.required and spec.default is not None:
            try:
                _coerce(spec, spec.default)
            except _Invalid as problem:
                raise SpecError(f"参数 {name} 的默认值无效：{problem.zh}") from None
        specs.append(spec)
        seen.add(name)
    return specs


class _Invalid(Exception):
    def __init__(self, code: str, zh: str, en: str):
        self.code, self.zh, self.en = code, zh, en


def _coerce(spec: Param, value):
    if spec.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise _Invalid("type", "应为整数", "must be an integer")
        try:
            value = int(value)
        except ValueError:
            raise _Invalid("type", "应为整数", "must be an integer") from None
    elif spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _Invalid("type", "应为数值", "must be a number")
        try:
            value = float(value)
        except ValueError:
            raise _Invalid("type", "应为数值", "must be a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise _Invalid("type", "应为有限数值", "must be a finite number")
    elif spec.type == "date":
        if isinstance(value, date):
            return value
        try:
            if not (isinstance(value, str) and DATE.match(value)):
                raise ValueError(value)
            value = date.fromisoformat(value)
        except ValueError:
            raise _Invalid("type", "应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD") from None
    else:
        if not isinstance(value, str):
            raise _Invalid("type", "应为文本", "must be a string")
        if len(value) > spec.max_length:
            raise _Invalid(
                "too_long",
                f"不能超过 {spec.max_length} 个字符",
                f"must be at most {spec.max_length} characters",
            )
        if spec.type == "choice" and value not in spec.choices:
            raise _Invalid(
                "not_a_choice",
                "应为以下之一：" + "、".join(map(str, spec.choices)),
                "must be one of the declared choices",
            )
    if spec.minimum is not None and isinstance(value, int | float) and value < spec.minimum:
        raise _Invalid("too_small", f"不能小于 {spec.minimum}", f"must be ≥ {spec.minimum}")
    if spec.maximum is not None and isinstance(value, int | float) and value > spec.maximum:
        raise _Invalid("too_large", f"不能大于 {spec.maximum}", f"must be ≤ {spec.maximum}")
    return value


MAX_UNKNOWN = 20


def validate(specs: list[Param], values: Mapping) -> dict:
    """The typed values for `specs`, defaults filled; raises ParamError listing every problem
    (unknown names included)."""
    problems, out = [], {}
    known = {s.name for s in specs}
    unknown = sorted(set(values) - known)
    for name in unknown[:MAX_UNKNOWN]:  # named up to a point: the answer stays small
        problems.append(Problem(str(name)[:40], "unknown", "未声明的参数", "unknown parameter"))
    if len(unknown) > MAX_UNKNOWN:
        more = len(unknown) - MAX_UNKNOWN
        problems.append(
            Problem(
                "…", "unknown", f"另有 {more} 个未声明的参数", f"{more} more unknown parameters"
            )
        )
    for spec in specs:
        raw = values.get(spec.name)
        if raw is None or raw == "":
            if spec.required:
                problems.append(Problem(spec.name, "required", "必填", "is required"))
                continue
            raw = spec.default
            if raw is None:
                out[spec.name] = None
                continue
        try:
            out[spec.name] = _coerce(spec, raw)
        except _Invalid as bad:
            problems.append(Problem(spec.name, bad.code, bad.zh, bad.en))
    if problems:
        raise ParamError(problems)
    return out


def placeholders(sql: str) -> set[str]:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise SpecError("查询模板无法解析") from error
    return {p.name for p in tree.find_all(exp.Placeholder)}


def check_template(sql: str, specs: list[Param]) -> None:
    """Every `:name` in the template is declared, and every declaration is used."""
    used = placeholders(sql)
    if "" in used or any(n.isdigit() for n in used):
        raise SpecError("参数须以 :名称 的形式出现在模板中")
    declared = {s.name for s in specs}
    if used - declared:
        raise SpecError("模板中的参数未声明：" + "、".join(sorted(used - declared)))
    if declared - used:
        raise SpecError("声明的参数未在模板中使用：" + "、".join(sorted(declared - used)))


def output_names(sql: str) -> list[str] | None:
    """The column names the template's SELECT declares, or None when one is unnamed (an
    expression without an alias, named by the engine)."""
    try:
        names = sqlglot.parse_one(sql, read="duckdb").named_selects
    except (sqlglot.errors.ParseError, AttributeError):
        return None
    return names if names and all(names) else None


def _literal(value) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, int | float):
        literal = exp.Literal.number(value)
        return exp.Neg(this=exp.Literal.number(-value)) if value < 0 else literal
    return exp.Literal.string(str(value))


def bind(sql: str, values: Mapping) -> str:
    """The template with each `:name` replaced by its value as a literal node."""
    tree = sqlglot.parse_one(sql, read="duckdb")

    def swap(node):
        if isinstance(node, exp.Placeholder):
            return _literal(values[node.name])
        return node

    return tree.transform(swap).sql(dialect="duckdb")


def _shape(tree: exp.Expression) -> list[str]:
    literal = (exp.Placeholder, exp.Literal, exp.Neg, exp.Cast, exp.DataType, exp.Null)
    return [type(n).__name__ for n in tree.walk() if not isinstance(n, literal)]


def same_structure(template: str, bound: str) -> bool:
    """Whether binding changed nothing but literals (the security test of 合规审查)."""
    try:
        trees = sqlglot.parse(bound, read="duckdb")
    except sqlglot.errors.ParseError:
        return False
    return len(trees) == 1 and _shape(trees[0]) == _shape(
        sqlglot.parse_one(template, read="duckdb")
    )


def params_hash(product_code: str, values: Mapping) -> str:
    """SHA-256 of the product code and the canonical typed values (recorded, never the values)."""
    canonical = json.dumps(
        {"product": product_code, "params": {k: _plain(v) for k, v in sorted(values.items())}},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value
