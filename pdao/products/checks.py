"""合规审查清单: the automatic part of a product's compliance review.

The product is tried once (`try_product`): the authorization's grant is read and each of the
product's queries is planned in the zone with sample values — nothing is read or released.
Each check is a small function of that trial answering {"passed", "note"} with its evidence;
`CHECKS` lists them in the order the review shows them, and `run_checks` composes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from pdao.authorization import access
from pdao.authorization.choices import OutputForm
from pdao.products import params
from pdao.products.choices import Charging, Check, ProductKind
from pdao.products.models import PricePlan, Product
from pdao.zone import engine
from pdao.zone import services as zone
from pdao.zone.models import DerivedDataset

# Values that try to break out of a literal; bound as literals they must stay harmless.
HOSTILE = ["' OR 1=1 --", "x'); SELECT * FROM read_csv('/etc/passwd'); --", "\\'; DROP TABLE t"]


def sample_values(product: Product) -> dict:
    """A value per parameter for the security test: the default, the first choice, or a bound."""
    out = {}
    for spec in params.parse_specs(product.parameters):
        if spec.default is not None:
            out[spec.name] = spec.default
        elif spec.choices:
            out[spec.name] = spec.choices[0]
        elif spec.type in ("integer", "number"):
            out[spec.name] = spec.minimum if spec.minimum is not None else 1
        elif spec.type == "date":
            out[spec.name] = "2024-01-01"
        else:
            out[spec.name] = "test"
    return out


# --- The trial --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """What the checks look at, worked out once for a product."""

    product: Product
    grant: access.Grant | access.Decision  # a Decision says why the authorization is not live
    values: dict  # the sample values (a report takes no parameters)
    # (title, plan) for each of the product's queries; none when the authorization is not live.
    runs: list[tuple[str, engine.Plan | engine.Refused]]
    outcome: engine.Plan | engine.Refused | None  # the template's plan (not a report's)

    @property
    def live(self) -> bool:
        return not isinstance(self.grant, access.Decision)

    @property
    def refused(self) -> list[tuple[str, engine.Refused]]:
        return [(title, r) for title, r in self.runs if not isinstance(r, engine.Plan)]

    @property
    def in_scope(self) -> bool:
        return bool(self.runs) and not self.refused


def try_product(product: Product) -> Trial:
    """Plan the product's queries in the zone as it would run them (a template with its sample
    values, a report's sections as they are). Raises ParamError when the sample values do not
    validate."""
    grant = access.grant(product.authorization)
    live = not isinstance(grant, access.Decision)
    values, runs, outcome = {}, [], None
    if product.kind == ProductKind.REPORT:
        if live:
            runs = [
                (section["title"], _plan(product, section["sql"], section["form"]))
                for section in product.sections
            ]
    else:
        values = sample_values(product)
        if live:
            typed = params.validate(params.parse_specs(product.parameters), values)
            outcome = _plan(product, params.bind(product.sql, typed), product.form)
            runs = [(product.name, outcome)]
    return Trial(product=product, grant=grant, values=values, runs=runs, outcome=outcome)


def _plan(product: Product, sql: str, form: str) -> engine.Plan | engine.Refused:
    return zone.dry_run(product.authorization, sql=sql, form=form, epsilon=product.epsilon_per_call)


# --- The checks, in the review's order --------------------------------------------------------


def source(trial: Trial) -> dict:
    """数据来源合法: the authorization behind the product is in force."""
    return {
        "passed": trial.live,
        "note": _("授权 %(code)s 有效，协议已签署并上链。")
        % {"code": trial.product.authorization.code}
        if trial.live
        else trial.grant.message,
    }


def scope(trial: Trial) -> dict:
    """使用范围在协议之内: every query keeps to the tables and fields the authorization grants."""
    used = sorted({c for _t, r in trial.runs if isinstance(r, engine.Plan) for c in r.columns_used})
    return {
        "passed": trial.in_scope,
        "note": _("示例参数下查询只使用授权范围内的表和字段：%(cols)s") % {"cols": "、".join(used)}
        if trial.in_scope
        else "; ".join(
            _("“%(title)s”被拒绝：%(rule)s %(msg)s")
            % {"title": t, "rule": getattr(r, "rule", ""), "msg": getattr(r, "message", "")}
            for t, r in trial.refused
        )
        or _("授权不可用。"),
    }


def output_form(trial: Trial) -> dict:
    """输出形式符合授权: the product's output forms are among those the authorization allows."""
    product = trial.product
    allowed = set()
    if trial.live:
        for fields in trial.grant.scope.values():
            for forms in fields.values():
                allowed |= forms
    labels = dict(OutputForm.choices)
    used = (
        {section["form"] for section in product.sections}
        if product.kind == ProductKind.REPORT
        else {product.form}
    )
    return {
        "passed": used <= allowed,
        "note": _("产品输出形式：%(form)s；授权允许：%(allowed)s")
        % {
            "form": product.form_label,
            "allowed": "、".join(str(labels.get(f, f)) for f in sorted(allowed)) or "—",
        },
    }


def deidentification(trial: Trial) -> dict:
    """去标识化与输出控制证明: how the output form protects people; a record product's key
    column is in its output (for the watermark); a model product outputs the model's results,
    not a source column's values."""
    product, outcome = trial.product, trial.outcome
    key_ok = product.form != "deidentified" or (
        trial.in_scope and product.key_column in (outcome.columns if outcome else [])
    )
    model = _model_table(product, outcome) if product.form == "model" and trial.in_scope else None
    raw = _raw_model_outputs(model, outcome) if model is not None else []
    result = {
        "passed": key_ok and not raw,
        "note": _evidence(product)
        if key_ok and not raw
        else _("记录标识列不在输出中，无法嵌入水印。")
        if not key_ok
        else _("模型输出列 %(cols)s 是原始字段的原值（或其最大、最小、平均值），不是模型结果。")
        % {"cols": "、".join(raw)},
    }
    if product.form == "model" and trial.in_scope:
        result["model_sql"] = model.sql if model is not None else ""
    return result


def pricing(trial: Trial) -> dict:
    """定价类别与上限: a 公益 product is free; an 产业 product's plans stay under the cap."""
    product = trial.product
    priced = product.plans.filter(is_active=True)
    if product.is_free:
        passed = priced.exists() and all(p.charging == Charging.FREE for p in priced)
        note = _("公益类产品：免费提供。") if passed else _("公益类产品须且只能有免费方案。")
    else:
        problems = [price_problem(product, plan) for plan in priced]
        problems = [p for p in problems if p]
        passed = priced.exists() and not problems
        note = (
            _("产业类产品：%(n)s 个方案，均不高于上限收费标准 %(cap)s 元。")
            % {"n": priced.count(), "cap": product.price_cap}
            if passed
            else "; ".join(problems) or _("产业类产品须至少发布一个价格方案。")
        )
    return {"passed": passed, "note": note}


def security(trial: Trial) -> dict:
    """安全测试结果: hostile parameter values leave the query's structure unchanged, and the
    queries passed the zone's whitelist and output control."""
    product = trial.product
    is_report = product.kind == ProductKind.REPORT
    harmless = True
    if trial.live and not is_report:  # reports take no parameters
        harmless = _hostile_values_harmless(product, trial.values)
    return {
        "passed": trial.live and trial.in_scope and harmless,
        "note": _(
            "注入测试 %(n)s 项：参数按字面量绑定，均未改变查询结构；"
            "执行经专区引擎的白名单与输出控制。"
        )
        % {"n": len(HOSTILE)}
        if not is_report
        else _("报告不接受调用参数；%(n)s 节查询固定不变，均已在专区内试运行并通过输出控制。")
        % {"n": len(product.sections)},
    }


CHECKS: list[tuple[Check, Callable[[Trial], dict]]] = [
    (Check.SOURCE, source),
    (Check.SCOPE, scope),
    (Check.FORM, output_form),
    (Check.DEIDENTIFICATION, deidentification),
    (Check.PRICING, pricing),
    (Check.SECURITY, security),
]


def run_checks(product: Product) -> dict:
    """The automatic part of 合规审查, each item with its evidence, keyed by the item's code in
    the review's order. Runs the template against the engine's policy (without releasing
    anything) and with hostile values."""
    trial = try_product(product)
    return {str(item): check(trial) for item, check in CHECKS}


# --- What the checks rest on ------------------------------------------------------------------


def price_problem(product: Product, plan: PricePlan) -> str:
    """Why a plan's price is not allowed under the product's cap; "" when it is."""
    if plan.charging == Charging.FREE:
        return ""
    if product.price_cap is None:
        return _("数据局尚未设定上限收费标准。")
    cap = product.price_cap
    prices = [Decimal(plan.unit_price)] + [Decimal(str(t[1])) for t in plan.tiers or []]
    if plan.charging == Charging.MONTHLY:
        if not plan.calls_per_month:
            return _("按月方案须设定每月调用次数上限。")
        prices = [Decimal(plan.monthly_fee) / plan.calls_per_month]
    worst = max(prices)
    if worst > cap:
        return _("方案“%(name)s”的单价 %(price)s 元高于上限 %(cap)s 元。") % {
            "name": plan.name,
            "price": worst.quantize(Decimal("0.0001")),
            "cap": cap,
        }
    return ""


def _evidence(product: Product) -> str:
    """What the product's output form does to protect people, as the review reads it."""
    if product.kind == ProductKind.REPORT:
        return _(
            "数据报告：各节查询在专区内以聚合统计或差分隐私执行并经输出控制；每期报告经出域审核后"
            "才发布给订阅方。"
        )
    evidence = {
        "aggregate": _(
            "聚合输出：每格至少 k 个隐私单元、优势规则，并经单元格键扰动（同一单元格扰动固定），"
            "由专区引擎执行。"
        ),
        "dp": _("差分隐私：每个参数组合消耗 ε=%(e)s，答案按参数组合保存，重复调用不再消耗预算。")
        % {"e": product.epsilon_per_call},
        "deidentified": _(
            "去标识化记录：标识符按授权加密假名化，准标识符泛化后满足 k-匿名；"
            "交付时按订阅嵌入水印（记录标识列 %(key)s）。"
        )
        % {"key": product.key_column},
        "model": _(
            "模型输出：只读专区内构建的模型结果（衍生数据），每次请求只针对一个对象，"
            "不输出标识符，且不超过 10 行。"
        ),
    }
    return evidence.get(product.form, "")


def _hostile_values_harmless(product: Product, values: dict) -> bool:
    """Each hostile value, put into every string parameter, leaves the query's structure
    unchanged once bound."""
    specs = params.parse_specs(product.parameters)
    harmless = True
    for value in HOSTILE:
        probe = {**values, **{spec.name: value for spec in specs if spec.type == "string"}}
        try:
            typed = params.validate(specs, probe)
        except params.ParamError:
            continue  # refused before it reaches SQL: harmless
        harmless &= params.same_structure(product.sql, params.bind(product.sql, typed))
    return harmless


def _model_table(product: Product, plan: engine.Plan) -> DerivedDataset | None:
    """The derived dataset (the model built in the zone) a model product reads."""
    return DerivedDataset.objects.filter(
        authorization=product.authorization, name=plan.query.sources[0].name
    ).first()


def _raw_model_outputs(table: DerivedDataset, plan: engine.Plan) -> list[str]:
    """Output columns of a model product that are a source column's own values (lineage kept
    by the derived dataset): a model output must be the model's result."""
    return [c.name for c in plan.query.projections if table.columns.get(c.name, {}).get("plain")]
