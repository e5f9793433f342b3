"""A scenario ready for the typical-scenario review: the market's authorization (社保缴纳记录)
with a product on the market, deliveries to two consumers, the case written, the criteria
published, an industry department leading the scenario's domain and the taskforce."""

import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pdao.accounts.choices import OrganisationType
from pdao.core.permissions import Role
from pdao.products.models import Delivery
from pdao.showcase import scenarios, typical
from tests.factories import OrganisationFactory, user_with_role
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CASE = {
    "users": "辖区 120 家银行网点",
    "background": "中小企业融资难，银行缺少可信的参保数据。",
    "approach": "以区县参保统计为授信前核验依据，原始数据不出域。",
    "outcomes": "授信审批由 5 天缩短到 1 天。",
}
WEIGHTS = {"effect": 30, "innovation": 20, "leadership": 20, "security": 15, "replicability": 15}


def png(width=40, height=30, **info) -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (21, 101, 192)).save(buffer, format="PNG", pnginfo=meta)
    return buffer.getvalue()


def deliver(subscription, *times, status=200):
    """Answered (or refused) deliveries of `subscription` at `times` (Asia/Shanghai)."""
    Delivery.objects.bulk_create(
        Delivery(
            trace_id=uuid.uuid4().hex, consumer=subscription.consumer,
            product=subscription.product, subscription=subscription, status=status,
            code="ok" if status == 200 else "no_subscription", digest="0" * 64,
            created_at=datetime(*t, tzinfo=SHANGHAI),
        )
        for t in times
    )  # fmt: skip


@dataclass
class Showcase:
    market: object
    scenario: object
    product: object
    subscriptions: list
    department: object  # an industry lead of the scenario's domain
    taskforce: object
    experts: list  # three experts of an assessment body

    @property
    def operator(self):
        return self.market.operator


@pytest.fixture
def showcase(market):  # noqa: F811
    product = market.to_market(market.product())
    first = market.subscribe(product)
    second = market.subscribe(product, market.new_consumer())
    deliver(first, (2026, 1, 5, 9), (2026, 1, 20, 9))
    deliver(second, (2026, 3, 1, 9))
    taskforce = user_with_role(Role.TASKFORCE)
    department = user_with_role(
        Role.INDUSTRY_LEAD, organisation=OrganisationFactory(type=OrganisationType.INDUSTRY)
    )
    scenario = scenarios.scenario_for(market.authorization)
    typical.set_steward(
        by=taskforce, organisation=department.organisation, domain=scenario.domain, on=True
    )
    typical.publish_criteria(by=taskforce, weights=WEIGHTS, note="专班第 3 次会议纪要")
    scenario = scenarios.save_case(scenario, by=market.operator, **CASE)
    body = OrganisationFactory(type=OrganisationType.REVIEWER_BODY)
    experts = [user_with_role(Role.REVIEWER, organisation=body) for _ in range(3)]
    return Showcase(market, scenario, product, [first, second], department, taskforce, experts)
