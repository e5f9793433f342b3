import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_shell import sign_in
from tests.conftest import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_queries_its_workspace_and_sees_only_released_results(page, city, live):
    sign_in(page, city.operator.username)
    page.goto(f"/zone/{live.code}/")
    expect(page.get_by_text("社保缴纳记录").first).to_be_visible()
    page.get_by_test_id("sql").fill(
        "SELECT 区县, COUNT(DISTINCT 身份证号) AS 人数, AVG(缴费金额) AS 平均缴费 "
        "FROM 社保缴纳记录 GROUP BY 区县 ORDER BY 区县"
    )
    page.get_by_test_id("run").click()
    # The page returns at once: the query waits for the task worker, the button is held.
    expect(page.get_by_test_id("running")).to_contain_text("排队中")
    expect(page.get_by_test_id("run")).to_be_disabled()
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, f"zone-queued-{width}")
    page.set_viewport_size({"width": 1280, "height": 800})

    run_worker()
    # The card polls once a second and shows the result without a reload.
    table = page.get_by_test_id("result-table")
    expect(table).to_contain_text("柳江区")
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(page.get_by_test_id("chart").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("run")).to_be_enabled()
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, f"zone-released-{width}")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_test_id("sql").fill("SELECT 身份证号, 缴费金额 FROM 社保缴纳记录")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("running")).to_be_visible()
    run_worker()
    expect(page.get_by_test_id("refused")).to_contain_text("须是分组列或聚合结果")
    expect(page.get_by_test_id("refused")).not_to_contain_text("450202")
    screenshot(page, "zone-refused")
