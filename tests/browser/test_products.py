"""A product from the operator's form to a consumer's first call, through the UI: operator,
expert, supervisor and consumer in their own sessions; then the supervisor traces a leak."""

import json

import pytest
import requests
from playwright.sync_api import expect

from pdao.products import gateway, services
from tests.browser.conftest import screenshot
from tests.browser.test_authorization import session  # noqa: F401 (fixture)
from tests.products.conftest import AGGREGATE_PARAMS, AGGREGATE_SQL, market  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_product_from_form_to_listing_to_a_consumer_call(market, session, live_server):  # noqa: F811
    operator = session(market.operator)
    operator.goto("/products/new/")
    operator.get_by_label("产品名称").fill("区县参保统计")
    operator.get_by_label("产品说明").fill("按区县统计参保人次与平均缴费。")
    operator.get_by_label("所依托的授权").select_option(index=1)
    operator.get_by_label("输出形式").select_option("aggregate")
    operator.get_by_label("查询模板").fill(AGGREGATE_SQL)
    operator.get_by_label("参数声明").fill(json.dumps(AGGREGATE_PARAMS, ensure_ascii=False))
    operator.get_by_test_id("save-product").click()
    expect(operator.get_by_test_id("product-status")).to_have_text("草稿")

    operator.get_by_label("起始月份").fill("2024-02-01")
    operator.get_by_test_id("test-product").click()
    expect(operator.get_by_test_id("test-result")).to_contain_text("柳江区")
    operator.get_by_text("发布价格方案", exact=True).click()
    operator.get_by_label("方案名称").fill("公益免费")
    operator.get_by_test_id("add-plan").click()
    operator.get_by_test_id("submit-review").click()
    expect(operator.get_by_test_id("product-status")).to_have_text("合规审查中")
    screenshot(operator, "product-review")
    url = operator.url

    for user, role in ((market.reviewer, "reviewer"), (market.supervisor, "supervisor")):
        signer = session(user)
        signer.goto(url)
        signer.get_by_placeholder("审查意见" if role == "reviewer" else "安全审查意见").fill("同意")
        signer.get_by_test_id(f"sign-{role}").click()
    operator.reload()
    expect(operator.get_by_test_id("product-status")).to_have_text("已备案")
    expect(operator.get_by_test_id("filing-no")).to_contain_text("LZ-BA-")
    operator.get_by_test_id("list-product").click()
    expect(operator.get_by_test_id("product-status")).to_have_text("已上架")

    consumer = session(market.consumer)
    consumer.goto("/products/")
    consumer.get_by_role("link", name="区县参保统计").click()
    consumer.locator("[data-testid^=subscribe-]").first.click()
    expect(consumer.get_by_text("订阅成功")).to_be_visible()
    consumer.goto("/products/credentials/")
    consumer.get_by_placeholder("凭证名称，例如 生产环境").fill("生产环境")
    consumer.get_by_test_id("create-credential").click()
    client_id = consumer.get_by_test_id("client-id").inner_text()
    secret = consumer.get_by_test_id("client-secret").inner_text()
    screenshot(consumer, "product-credential-once")
    consumer.reload()
    expect(consumer.get_by_test_id("client-secret")).to_have_count(0)  # shown once only

    token = requests.post(
        f"{live_server.url}/gateway/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    ).json()["access_token"]
    code = operator.url.rstrip("/").rsplit("/", 1)[1]
    answer = requests.post(
        f"{live_server.url}/gateway/v1/products/{code}",
        json={"params": {"since": "2024-02-01"}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["row_count"] == 5
    consumer.goto("/products/deliveries/")
    expect(consumer.get_by_text(answer.json()["trace_id"])).to_be_visible()
    screenshot(consumer, "product-deliveries")


def test_supervisor_traces_a_leaked_file_to_its_subscription(market, session, tmp_path):  # noqa: F811
    product = market.to_market(market.records_product())
    subscription = market.subscribe(product)
    other = market.new_consumer()
    market.subscribe(product, consumer=other)
    credential, _ = services.create_credential(by=market.consumer, name="x")
    answer = gateway.call(
        credential, product.code, {"district": "城中区", "n": 300}, source_ip=None
    )
    leaked = tmp_path / "外泄.csv"
    leaked.write_text(
        "身份证号,缴费金额\n" + "\n".join(f"{r[0]},{r[2]}" for r in answer.body["rows"][:200]),
        encoding="utf-8",
    )

    supervisor = session(market.supervisor)
    supervisor.goto("/products/trace/")
    supervisor.get_by_label("可疑文件（CSV 或 Excel）").set_input_files(str(leaked))
    supervisor.get_by_test_id("trace").click()

    first = supervisor.get_by_test_id("suspects").locator("tbody tr").first
    expect(first).to_contain_text(subscription.code)
    expect(first).to_contain_text("高度可疑")
    expect(supervisor.get_by_text(answer.body["trace_id"])).to_be_visible()
    screenshot(supervisor, "leak-trace")
