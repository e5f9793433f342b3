"""A product from the operator's form to a consumer's first call, through the UI: operator,
expert, supervisor and consumer in their own sessions; then the supervisor traces a leak."""

import pytest
import requests
from playwright.sync_api import expect

from pdao.products import gateway, services
from pdao.products.models import Product
from tests.browser.conftest import screenshot
from tests.browser.test_authorization import session  # noqa: F401 (fixture)
from tests.products.conftest import AGGREGATE_SQL, RECORDS_SQL, market  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_product_from_form_to_listing_to_a_consumer_call(market, session, live_server):  # noqa: F811
    operator = session(market.operator)
    operator.goto("/products/new/")
    operator.get_by_label("产品名称").fill("区县参保统计")
    operator.get_by_label("产品说明").fill("按区县统计参保人次与平均缴费。")
    operator.get_by_label("所依托的授权").select_option(index=1)
    operator.get_by_label("输出形式").select_option("aggregate")
    operator.get_by_label("查询模板").fill(AGGREGATE_SQL)
    since = operator.get_by_test_id("parameters-0")
    since.get_by_label("参数名").fill("since")
    since.get_by_label("中文名称").fill("起始月份")
    since.get_by_label("类型").select_option(label="日期")
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


def test_product_form_rows_are_added_typed_and_refused_in_place(market, session):  # noqa: F811
    operator = session(market.operator)
    operator.goto("/products/new/")
    operator.get_by_label("产品名称").fill("参保明细")
    operator.get_by_label("产品说明").fill("按区县提供去标识化的参保明细。")
    operator.get_by_label("所依托的授权").select_option(index=1)
    operator.get_by_label("输出形式").select_option("deidentified")
    operator.get_by_label("查询模板").fill(RECORDS_SQL)
    operator.get_by_label("记录标识列").fill("身份证号")
    district = operator.get_by_test_id("parameters-0")
    district.get_by_label("参数名").fill("district")
    district.get_by_label("中文名称").fill("区县")
    district.get_by_label("类型").select_option(label="枚举（限定可选值）")
    expect(district.get_by_label("最小值（整数或数值）")).to_be_hidden()
    district.get_by_label("可选值（枚举，每行一个）").fill("城中区\n鱼峰区")
    for _ in range(2):
        operator.get_by_test_id("add-parameters").click()
    expect(operator.locator("[data-formset=parameters] [data-formset-row]")).to_have_count(5)
    operator.get_by_test_id("parameters-4").get_by_role("button", name="删除这一行").click()
    expect(operator.get_by_test_id("parameters-4")).to_be_hidden()
    rows = operator.get_by_test_id("parameters-3")
    rows.get_by_label("参数名").fill("n")
    rows.get_by_label("中文名称").fill("行数")
    rows.get_by_label("类型").select_option(label="整数")
    expect(rows.get_by_label("可选值（枚举，每行一个）")).to_be_hidden()
    rows.get_by_label("最小值（整数或数值）").fill("100")
    rows.get_by_label("最大值（整数或数值）").fill("10")
    column = operator.get_by_test_id("columns-0")
    column.get_by_label("列名（与查询输出的列名一致）").fill("缴费金额")
    column.get_by_label("水印允许的最大变动（数值列，可不填）").fill("0.01")
    operator.get_by_test_id("save-product").click()

    rows = operator.get_by_test_id("parameters-3")
    expect(rows).to_contain_text("最大值不能小于最小值。")
    expect(operator.get_by_test_id("parameters-4")).to_be_hidden()  # still deleted
    for width in (1366, 390):
        operator.set_viewport_size({"width": width, "height": 900})
        assert operator.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(operator, f"product-form-{width}")
    rows.get_by_label("最大值（整数或数值）").fill("1000")
    operator.get_by_test_id("save-product").click()
    expect(operator.get_by_test_id("product-status")).to_have_text("草稿")
    product = Product.objects.get(name="参保明细")
    assert product.parameters == [
        {"name": "district", "type": "choice", "label": "区县", "choices": ["城中区", "鱼峰区"]},
        {"name": "n", "type": "integer", "label": "行数", "minimum": 100, "maximum": 1000},
    ]
    assert product.output_columns == [{"name": "缴费金额", "tolerance": 0.01}]


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
