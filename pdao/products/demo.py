"""Demo products on the demo authorizations, walked through the real review, filing and
listing; consumers subscribed with credentials, and a few calls through the gateway so the
delivery records, the ledger batches and leak tracing have something to show. Idempotent."""

from decimal import Decimal

from django.db import transaction

from pdao.accounts.models import User
from pdao.authorization.models import Authorization
from pdao.core.rules import RuleViolation
from pdao.products import delivery, editions, gateway, services
from pdao.products.choices import Charging, ProductKind, ProductStatus
from pdao.products.models import Credential, Product, Subscription
from pdao.zone import services as zone

# (authorization, name, summary, form, sql, parameters, output columns, key column, plan)
PRODUCTS = [
    (
        "DEMO-AGG",
        "区县参保缴费统计",
        "按区县、险种统计某月以来的缴费人次和平均缴费基数，供人社部门和街道掌握参保薄弱区域。",
        "aggregate",
        "SELECT 区县, 险种, COUNT(*) AS 缴费人次, AVG(缴费基数) AS 平均缴费基数 "
        "FROM 社保缴纳记录 WHERE 缴费月份 >= :since GROUP BY 区县, 险种",
        [{"name": "since", "type": "date", "label": "起始月份", "required": False,
          "default": "2023-01-01"}],
        [],
        "",
        {"name": "公益免费", "charging": Charging.FREE, "calls_per_month": 10_000},
    ),
    (
        "DEMO-DP",
        "公交站点客流指数",
        "按卡类型统计各上车站点的客流（差分隐私），用于线路优化和商圈选址。",
        "dp",
        "SELECT 上车站点, COUNT(*) AS 客流 FROM 公交刷卡记录 WHERE 卡类型 = :card "
        "GROUP BY 上车站点",
        [{"name": "card", "type": "choice", "label": "卡类型",
          "choices": ["普通卡", "学生卡", "老年卡", "爱心卡"]}],
        [],
        "",
        {"name": "按次计费", "charging": Charging.PER_CALL, "unit_price": Decimal("0.30"),
         "tiers": [[1001, "0.20"]], "calls_per_month": 5_000},
    ),
    (
        "DEMO-DEID",
        "病种结算明细（去标识化）",
        "按病种和定点机构提供去标识化的医保结算记录，用于普惠健康险精算；参保人编号为按授权"
        "加密的假名，每份交付按订阅嵌入水印，可追溯泄露来源。",
        "deidentified",
        "SELECT 参保人编号, 病种, 总费用, 统筹支付 FROM 医保结算记录 "
        "WHERE 病种 = :disease LIMIT :n",
        [{"name": "disease", "type": "choice", "label": "病种",
          "choices": ["高血压", "糖尿病", "上呼吸道感染", "骨折", "慢性胃炎", "冠心病"]},
         {"name": "n", "type": "integer", "label": "行数", "minimum": 1, "maximum": 2000}],
        [{"name": "总费用", "label": "总费用（元）", "tolerance": 0.01},
         {"name": "统筹支付", "label": "统筹支付（元）", "tolerance": 0.01}],
        "参保人编号",
        {"name": "按量计费", "charging": Charging.VOLUME, "unit_price": Decimal("0.40"),
         "rows_per_month": 200_000},
    ),
]  # fmt: skip

# The model DEMO-MODEL's product answers from: built in the zone by its operator, kept there.
MODEL_NAME = "企业经营活力评分模型"
# One row per enterprise (a model table is keyed by its privacy unit): its registrations
# summarised, so the score is that enterprise's alone.
MODEL_SQL = (
    "SELECT 统一社会信用代码, MIN(行业门类) AS 行业门类, ROUND(AVG(LEAST(100, 40 "
    "+ LN(1 + 注册资本万元) * 4 + (2026 - YEAR(成立日期)) * 0.8)), 1) AS 活力评分 "
    "FROM 企业登记信息 WHERE 登记状态 = '存续' GROUP BY 统一社会信用代码"
)
MODEL_PRODUCT = (
    "DEMO-MODEL",
    "企业经营活力评分",
    "输入统一社会信用代码，返回该企业的经营活力评分（0–100）；评分由运营单位在专区内"
    "按注册资本与存续年限构建，原始登记数据不出域。",
    "model",
    "SELECT 活力评分 FROM 企业经营活力评分模型 WHERE 统一社会信用代码 = :code",
    [{"name": "code", "type": "string", "label": "统一社会信用代码", "max_length": 18}],
    [],
    "",
    {"name": "按次计费", "charging": Charging.PER_CALL, "unit_price": Decimal("0.50"),
     "calls_per_month": 20_000},
)  # fmt: skip

REPORT = {
    "name": "柳州市社保缴费月报",
    "summary": "按区县、险种和月份统计社保缴费人次与缴费基数，每月一期，供人社部门和街道使用。",
    "sections": [
        {"title": "各区县缴费人次", "chart": "bar", "form": "aggregate",
         "sql": "SELECT 区县, COUNT(*) AS 缴费人次 FROM 社保缴纳记录 GROUP BY 区县 ORDER BY 区县",
         "note": "全部险种合计。"},
        {"title": "各险种平均缴费基数", "chart": "bar", "form": "aggregate",
         "sql": "SELECT 险种, AVG(缴费基数) AS 平均缴费基数 FROM 社保缴纳记录 GROUP BY 险种 "
                "ORDER BY 险种"},
        {"title": "按月缴费人次", "chart": "line", "form": "aggregate",
         "sql": "SELECT strftime(缴费月份, '%Y-%m') AS 月份, COUNT(*) AS 缴费人次 "
                "FROM 社保缴纳记录 GROUP BY strftime(缴费月份, '%Y-%m') ORDER BY 月份"},
    ],
}  # fmt: skip

# (consumer username, authorization of the product, parameters of the demo calls)
SUBSCRIPTIONS = [
    ("consumer", "DEMO-AGG", [{"since": "2024-01-01"}, {}]),
    ("consumer", "DEMO-DP", [{"card": "学生卡"}, {"card": "老年卡"}]),
    ("consumer2", "DEMO-DEID", [{"disease": "糖尿病", "n": 500}]),
    ("consumer", "DEMO-MODEL", [{"code": "91450200MA5N000000"}]),
    ("consumer2", "DEMO-AGG-REPORT", []),
]


def seed() -> list[str]:
    operator_of = {a.code: a for a in Authorization.objects.filter(code__startswith="DEMO-")}
    bureau = User.objects.get(username="bureau")
    reviewer = User.objects.get(username="reviewer")
    supervisor = User.objects.get(username="supervisor")
    lines = []
    _build_model(operator_of["DEMO-MODEL"])
    for code, name, summary, form, sql, parameters, columns, key, plan in [
        *PRODUCTS,
        MODEL_PRODUCT,
    ]:
        authorization = operator_of[code]
        product = Product.objects.filter(authorization=authorization, name=name).first()
        if product is None:
            product = _build(authorization, name, summary, form, sql, parameters, columns, key)
            owner = _operator(authorization)
            if not product.is_free:
                services.set_price_cap(product, by=bureau, cap=Decimal("0.50"))
            services.save_plan(product, by=owner, **plan)
            review = services.submit_for_review(product, by=owner)
            services.sign_review(review, by=reviewer, role="reviewer", approved=True,
                                 note="来源、范围、输出形式符合授权；定价不高于上限。")  # fmt: skip
            services.sign_review(review, by=supervisor, role="supervisor", approved=True,
                                 note="注入测试与输出控制证明齐全，同意备案。")  # fmt: skip
            product.refresh_from_db()
            services.list_product(product, by=owner)
        lines.append(f"{product.code} {product.name}: {product.get_status_display()}"
                     f" {product.filing_no}")  # fmt: skip
    lines.append(_report(bureau, reviewer, supervisor))
    _pending_review()
    lines.extend(_consumers())
    delivery.anchor_pending()
    return lines


def _report(bureau, reviewer, supervisor) -> str:
    """A report product on DEMO-AGG: reviewed, filed, listed, one edition released."""
    authorization = Authorization.objects.get(code="DEMO-AGG")
    product = Product.objects.filter(name=REPORT["name"]).first()
    owner = _operator(authorization)
    if product is None:
        product = editions.create_report(by=owner, authorization=authorization, **REPORT)
        services.save_plan(product, by=owner, name="公益免费", charging=Charging.FREE)
        review = services.submit_for_review(product, by=owner)
        services.sign_review(review, by=reviewer, role="reviewer", approved=True,
                             note="各节均为聚合统计，符合授权。")  # fmt: skip
        services.sign_review(review, by=supervisor, role="supervisor", approved=True,
                             note="同意备案。")  # fmt: skip
        product.refresh_from_db()
        services.list_product(product, by=owner)
        try:
            edition = editions.generate_edition(product, by=owner)
        except RuleViolation:  # a tiny --scale can leave a section all suppressed: none then
            edition = None
        if edition is not None:
            editions.review_edition(edition, by=supervisor, approve=True,
                                    note="核对无个体信息，同意发布。")  # fmt: skip
    return f"{product.code} {product.name}: {product.get_status_display()} {product.filing_no}"


def _build_model(authorization) -> None:
    """The operator builds its scoring model inside the zone (a derived dataset)."""
    if not authorization.derived_datasets.filter(name=MODEL_NAME).exists():
        zone.save_derived(
            authorization, by=_operator(authorization), name=MODEL_NAME, sql=MODEL_SQL
        )


def _operator(authorization) -> User:
    return User.objects.filter(
        organisation=authorization.operator, role_grants__role="operator"
    ).first()


def _build(authorization, name, summary, form, sql, parameters, columns, key) -> Product:
    return services.create_product(
        by=_operator(authorization),
        authorization=authorization,
        name=name,
        summary=summary,
        kind=ProductKind.MODEL if form == "model" else ProductKind.API,
        form=form,
        sql=sql,
        parameters=parameters,
        output_columns=columns,
        key_column=key,
        epsilon_per_call=0.5,
    )


def _pending_review() -> None:
    """A second product waiting for its sign-offs, so the expert's workbench has work."""
    authorization = Authorization.objects.get(code="DEMO-AGG")
    name = "险种缴费基数分布"
    if Product.objects.filter(name=name).exists():
        return
    product = _build(
        authorization,
        name,
        "按险种统计缴费基数的平均值与人次。",
        "aggregate",
        "SELECT 险种, COUNT(*) AS 人次, AVG(缴费基数) AS 平均缴费基数 FROM 社保缴纳记录 "
        "WHERE 区县 = :district GROUP BY 险种",
        [{"name": "district", "type": "string", "label": "区县"}],
        [],
        "",
    )
    owner = _operator(authorization)
    services.save_plan(product, by=owner, name="公益免费", charging=Charging.FREE)
    services.submit_for_review(product, by=owner)


def _consumers() -> list[str]:
    lines = []
    for username, code, calls in SUBSCRIPTIONS:
        user = User.objects.get(username=username)
        if code.endswith("-REPORT"):
            product = Product.objects.get(name=REPORT["name"])
        else:
            product = Product.objects.get(
                authorization__code=code,
                status=ProductStatus.LISTED,
                reviews__outcome="passed",
                kind__in=[ProductKind.API, ProductKind.MODEL],
            )
        if Subscription.objects.filter(consumer=user.organisation, product=product).exists():
            continue
        services.subscribe(product, by=user, plan=product.plans.first(), months=12)
        credential = Credential.objects.filter(organisation=user.organisation).first()
        if credential is None:
            credential, secret = services.create_credential(by=user, name="演示凭证")
            lines.append(
                f"{username}: client_id={credential.application.client_id} "
                f"client_secret={secret}  (shown once)"
            )
        for values in calls:
            with transaction.atomic():
                gateway.call(credential, product.code, values, source_ip="127.0.0.1")
    return lines
