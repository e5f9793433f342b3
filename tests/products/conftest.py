"""A market for product tests: an operator with an active authorization over 社保缴纳记录
(aggregate and de-identified records, 600 people × 3 months generated at test time), a
verified consumer, an expert and the supervisor, and helpers that walk a product to the
market and a consumer to a token."""

from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pytest

from pdao.accounts.choices import OrganisationType
from pdao.catalogue import services as catalogue
from pdao.core.permissions import Role
from pdao.products import services
from pdao.products.choices import Charging, ProductKind
from pdao.products.models import Product
from tests.authorization.conftest import _data_dir, city  # noqa: F401 (fixtures)
from tests.factories import OrganisationFactory, user_with_role

DISTRICTS = ["城中区", "鱼峰区", "柳南区", "柳北区", "柳江区"]

AGGREGATE_SQL = (
    "SELECT 区县, COUNT(*) AS 人次, AVG(缴费金额) AS 平均缴费 FROM 社保缴纳记录 "
    "WHERE 参保月份 >= :since GROUP BY 区县"
)
AGGREGATE_PARAMS = [{"name": "since", "type": "date", "label": "起始月份"}]
RECORDS_SQL = (
    "SELECT 身份证号, 参保月份, 缴费金额, 区县 FROM 社保缴纳记录 WHERE 区县 = :district LIMIT :n"
)
RECORDS_PARAMS = [
    {"name": "district", "type": "choice", "label": "区县", "choices": DISTRICTS},
    {"name": "n", "type": "integer", "label": "行数", "minimum": 1, "maximum": 1000},
]


@dataclass
class Market:
    city: object
    authorization: object
    consumer: object  # a user of a verified consumer organisation
    supervisor: object

    @property
    def operator(self):
        return self.city.operator

    @property
    def reviewer(self):
        return self.city.reviewers[0]

    def product(self, *, form="aggregate", sql=AGGREGATE_SQL, parameters=None, **extra):
        parameters = AGGREGATE_PARAMS if parameters is None else parameters
        fields = {
            "name": extra.pop("name", "区县参保统计"),
            "summary": "按区县统计参保人次与平均缴费。",
            "kind": extra.pop("kind", ProductKind.API),
            "form": form,
            "sql": sql,
            "parameters": parameters,
            "output_columns": extra.pop("output_columns", []),
            "key_column": extra.pop("key_column", ""),
            "epsilon_per_call": 0.5,
        }
        return services.create_product(by=self.operator, authorization=self.authorization, **fields)

    def records_product(self) -> Product:
        return self.product(
            form="deidentified",
            sql=RECORDS_SQL,
            parameters=RECORDS_PARAMS,
            name="参保明细(去标识化)",
            key_column="身份证号",
            output_columns=[{"name": "缴费金额", "label": "缴费金额", "tolerance": 0.01}],
        )

    def to_market(self, product: Product, **plan) -> Product:
        """Plan, review by the expert and the supervisor, filing and listing."""
        services.save_plan(
            product,
            by=self.operator,
            **(
                {
                    "name": "公益免费",
                    "charging": Charging.FREE,
                    "calls_per_month": 1000,
                    "rate_per_minute": 600,
                }
                | plan
            ),
        )
        review = services.submit_for_review(product, by=self.operator)
        services.sign_review(review, by=self.reviewer, role="reviewer", approved=True, note="合规")
        services.sign_review(
            review, by=self.supervisor, role="supervisor", approved=True, note="安全测试通过"
        )
        product.refresh_from_db()
        services.list_product(product, by=self.operator)
        product.refresh_from_db()
        return product

    def subscribe(self, product: Product, consumer=None):
        consumer = consumer or self.consumer
        return services.subscribe(product, by=consumer, plan=product.plans.first(), months=12)

    def new_consumer(self):
        organisation = OrganisationFactory(type=OrganisationType.CONSUMER)
        user = user_with_role(Role.CONSUMER, organisation=organisation)
        from pdao.accounts.services import verify_organisation

        verify_organisation(organisation, by=self.city.bureau)
        user.organisation.refresh_from_db()
        return user


@pytest.fixture
def market(city, tmp_path):  # noqa: F811 (the imported fixture, requested)
    path = tmp_path / "ss.csv"
    duckdb.connect().execute(f"""
        COPY (SELECT '450202' || lpad((p * 7919 % 99999999)::VARCHAR, 12, '0') AS 身份证号,
                     CAST(DATE '2024-01-01' + INTERVAL (m) MONTH AS DATE) AS 参保月份,
                     (3000 + p % 9000)::DOUBLE AS 缴费金额,
                     {DISTRICTS}[1 + p % 5] AS 区县
              FROM range(600) a(p), range(3) b(m)) TO '{path}' (HEADER)""")
    version = catalogue.ingest_version(city.social, path, by=city.provider, declared_format="csv")
    catalogue.activate_version(version, by=city.provider)
    city.social.fields.filter(name="区县").update(choices=DISTRICTS)
    city.social.fields.filter(name="缴费金额").update(bound_low=0, bound_high=20000)
    application = city.to_decision(city.draft((city.social, ["aggregate", "deidentified"])))
    authorization = city.activate(application)
    supervisor = user_with_role(Role.SUPERVISOR)
    consumer = Market(city, authorization, None, supervisor).new_consumer()
    return Market(city, authorization, consumer, supervisor)


def money(value) -> Decimal:
    return Decimal(str(value))


ENTERPRISE_FIELDS = [
    {"name": "信用代码", "type": "string", "label": "统一社会信用代码", "pi_kind": "credit_code",
     "sensitivity": "internal", "is_privacy_unit": True},
    {"name": "行业", "type": "string", "label": "行业", "sensitivity": "internal"},
    {"name": "营业收入", "type": "decimal", "label": "营业收入", "sensitivity": "internal"},
    {"name": "员工数", "type": "integer", "label": "员工数", "sensitivity": "internal"},
]  # fmt: skip
SCORE_SQL = "SELECT 信用代码, 行业, ROUND(营业收入 / 1e5 + 员工数, 1) AS 活力评分 FROM 企业经营信息"
MODEL_SQL = "SELECT 活力评分 FROM 企业活力评分 WHERE 信用代码 = :code"


@pytest.fixture
def modelled(market, tmp_path):
    """An authorization with model output over 企业经营信息 (200 enterprises), and the
    operator's model built in the zone: a score per enterprise, kept as a derived dataset."""
    from pdao.zone import services as zone

    town = market.city
    resource = catalogue.register_resource(
        by=town.provider, provider=town.provider.organisation, fields=ENTERPRISE_FIELDS,
        name="企业经营信息", domain="commerce", sharing="conditional", opening="none",
        frequency="monthly", grade="general_2",
    )  # fmt: skip
    catalogue.review_grading(
        resource, by=town.bureau, approve=True, grade="general_2", harm_objects=["organisations"]
    )
    path = tmp_path / "ent.csv"
    duckdb.connect().execute(f"""
        COPY (SELECT 'E' || lpad(e::VARCHAR, 4, '0') AS 信用代码,
                     ['制造业', '建筑业', '批发和零售业'][1 + e % 3] AS 行业,
                     (1e5 + e * 1000)::DOUBLE AS 营业收入, (10 + e % 90)::BIGINT AS 员工数
              FROM range(200) t(e)) TO '{path}' (HEADER)""")
    version = catalogue.ingest_version(resource, path, by=town.provider, declared_format="csv")
    catalogue.activate_version(version, by=town.provider)
    application = town.to_decision(town.draft((resource, ["aggregate", "model"])))
    authorization = town.activate(application)
    zone.save_derived(authorization, by=town.operator, name="企业活力评分", sql=SCORE_SQL)
    market.authorization = authorization
    return market
