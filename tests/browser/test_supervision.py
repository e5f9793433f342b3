"""From an alert to an emergency action and back, in the browser: the supervisor acts on the
alert's evidence, the bureau lifts the action."""

import pytest
from playwright.sync_api import expect

from pdao.supervision import services
from pdao.zone.models import ZoneQuery
from tests.browser.conftest import screenshot
from tests.browser.test_authorization import session  # noqa: F401 (fixture)
from tests.conftest import run_worker
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)
from tests.supervision.conftest import traffic  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_suspends_an_authorization_from_an_alert(market, session):  # noqa: F811
    ZoneQuery.objects.bulk_create(
        ZoneQuery(authorization=market.authorization, sql="SELECT …", form="aggregate",
                  decision="refused", rule="columns.unauthorized", tables=["社保缴纳记录"],
                  columns=["身份证号"])
        for _ in range(12)
    )  # fmt: skip
    (alert,) = services.run_rules(codes=["probing"])

    supervisor = session(market.supervisor)
    supervisor.goto("/supervision/alerts/")
    supervisor.get_by_role("link", name=alert.title).click()
    expect(supervisor.get_by_test_id("alert-title")).to_contain_text("12 次专区查询被拒绝")
    form = supervisor.get_by_test_id("take-action")
    form.locator("select[name=kind]").select_option("suspend_authorization")
    form.locator("input[name=target]").fill(market.authorization.code)
    form.locator("input[name=reason]").fill("反复试探未授权字段")
    form.get_by_role("button").click()
    expect(supervisor.get_by_text("下一次请求起即被拒绝")).to_be_visible()
    supervisor.locator("select[name=status]").select_option("acknowledged")
    supervisor.get_by_placeholder("处理说明").fill("已暂停授权,联系运营单位核查")
    supervisor.get_by_test_id("handle-alert").click()
    expect(supervisor.get_by_test_id("alert-status")).to_have_text("已确认")
    screenshot(supervisor, "supervision-alert")

    operator = session(market.operator)
    operator.goto(f"/zone/{market.authorization.code}/")
    operator.get_by_test_id("sql").fill(
        "SELECT 区县, COUNT(*) AS n FROM 社保缴纳记录 GROUP BY 区县"
    )
    operator.get_by_test_id("run").click()
    expect(operator.get_by_test_id("running")).to_be_visible()
    run_worker()
    expect(operator.get_by_test_id("refused")).to_contain_text("授权已暂停")

    bureau = session(market.city.bureau)
    bureau.goto("/supervision/actions/")
    bureau.get_by_placeholder("解除理由").fill("核查完毕,运营单位已整改")
    bureau.locator("[data-testid^=lift-]").click()
    expect(bureau.get_by_text("已解除").first).to_be_visible()
    screenshot(bureau, "supervision-actions")
    operator.get_by_test_id("run").click()
    expect(operator.get_by_test_id("running")).to_be_visible()
    run_worker()  # the query waits for the task worker; the card polls for its result
    expect(operator.get_by_test_id("result-table")).to_contain_text("柳江区")


def test_supervisor_reads_the_dashboard_and_spot_checks_deliveries(traffic, session):  # noqa: F811
    shop, *_ = traffic
    supervisor = session(shop.supervisor)
    supervisor.goto("/supervision/")
    for figure in ("alerts", "activity", "top-consumer", "top-product", "budget", "incidents"):
        expect(supervisor.locator(f"#chart-{figure} canvas")).to_have_count(1)  # drawn by ECharts
    screenshot(supervisor, "supervision-dashboard")
    # A click on the chart itself: the top bar of the top-products chart, where ECharts laid
    # it out, opens that product's deliveries.
    x, y = supervisor.evaluate("""() => {
        const box = document.getElementById("chart-top-product");
        const data = echarts.getInstanceByDom(box).getModel().getSeriesByIndex(0).getData();
        const bar = data.getItemLayout(data.count() - 1), rect = box.getBoundingClientRect();
        return [rect.left + bar.x + bar.width / 2, rect.top + bar.y + bar.height / 2];
    }""")
    supervisor.mouse.click(x, y)
    supervisor.wait_for_url("**/products/deliveries/?product=*")
    expect(supervisor.locator("table tbody tr")).to_have_count(8)
    supervisor.go_back()
    top = supervisor.get_by_test_id("figure-top-product")
    top.locator("summary").click()
    top.locator("tbody tr").first.locator("td a").first.click()
    expect(supervisor.locator("table tbody tr")).to_have_count(8)  # 2 consumers × (3 + 1 refused)

    supervisor.goto("/supervision/spot-checks/")
    form = supervisor.get_by_test_id("draw-form")
    form.locator("input[name=size]").fill("4")
    form.locator("input[name=seed]").fill("c0ffee")
    form.get_by_role("button").click()
    expect(supervisor.get_by_test_id("reproducible")).to_have_text("复验一致")
    samples = supervisor.get_by_test_id("sample")
    expect(samples).to_have_count(4)
    expect(samples.first.locator("[data-check=content]")).to_contain_text("一致")
    screenshot(supervisor, "supervision-spotcheck")
    first = samples.first
    first.locator("select[name=conclusion]").select_option("noncompliant")
    first.locator("input[name=note]").fill("调用目的与场景不符")
    first.get_by_role("button", name="记录结论").click()
    supervisor.get_by_test_id("finding-incident").click()
    expect(supervisor.get_by_test_id("incident-status")).to_have_text("处置中")
    expect(supervisor.get_by_text("调用目的与场景不符").first).to_be_visible()
