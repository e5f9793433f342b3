"""The market in the browser, each step by the role that does it: the operator writes the 说明书,
registers the product and prepares and downloads the listing dossier; the bureau sees it; a
consumer orders, both sign, the operator records the payment, the consumer confirms it, calls
the gateway with its credential and accepts — settled. And a survey of existing services
declared by Excel, decided and migrated."""

import io
import zipfile
from decimal import Decimal

import pytest
import requests
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from pdao.market.models import Order
from pdao.products import services as products
from pdao.products.choices import Charging
from tests.browser.conftest import screenshot
from tests.browser.test_authorization import session  # noqa: F401 (fixture)
from tests.finance.conftest import industry  # noqa: F401 (fixture)
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _said(page, text: str) -> None:
    expect(page.get_by_text(text).first).to_be_visible()


def _product(industry):  # noqa: F811
    product = industry.product()
    products.set_price_cap(product, by=industry.city.bureau, cap=Decimal("0.50"))
    return industry.to_market(
        product, name="按次", charging=Charging.PER_CALL, unit_price=Decimal("0.40")
    )


def test_dossier_to_order_to_gateway_call_to_settlement(industry, session, live_server):  # noqa: F811
    product = _product(industry)
    operator = session(industry.operator)
    operator.goto(f"/market/p/{product.code}/")
    operator.get_by_test_id("edit-spec").click()
    operator.get_by_label("数据内容").fill("按区县统计的参保人次与平均缴费。")
    operator.get_by_label("更新频率").select_option(label="每月")
    operator.get_by_label("交付方式").select_option(label="接口调用")
    operator.get_by_label("使用期限").fill("合同服务期内")
    operator.get_by_label("使用目的").fill("企业用工规模研判")
    operator.get_by_label("允许的使用者").fill("买方本单位")
    operator.get_by_label("应用案例").fill("授信审批前核验企业参保规模。")
    operator.get_by_label("since").fill("统计起始月份")
    operator.get_by_test_id("save-spec").click()
    _said(operator, "说明书已保存。")
    expect(operator.get_by_test_id("specification")).to_contain_text("企业用工规模研判")
    operator.goto("/market/listings/")
    operator.get_by_test_id(f"register-{product.code}").click()
    _said(operator, "登记申请已提交")

    bureau = session(industry.city.bureau)
    bureau.goto("/market/registrations/")
    bureau.locator("[data-testid^=confirm-]").first.click()
    _said(bureau, "已确认登记。")

    operator.goto("/market/listings/")
    operator.get_by_label("交易场所").fill("北部湾大数据交易中心")
    operator.get_by_test_id(f"list-{product.code}").click()
    _said(operator, "挂牌申请已创建")
    operator.get_by_test_id("prepare").click()
    _said(operator, "挂牌材料已生成")
    with operator.expect_download() as download:
        operator.get_by_test_id("download-package").click()
    package = zipfile.ZipFile(download.value.path())
    assert "数据产品说明书.pdf" in package.namelist()
    listing_url = operator.url
    screenshot(operator, "market-listing-dossier")

    bureau.goto(listing_url)
    expect(bureau.get_by_test_id("download-package")).to_be_visible()
    expect(bureau.get_by_test_id("listing-status")).to_have_text("草稿")

    consumer = session(industry.consumer)
    consumer.goto("/market/")
    consumer.get_by_role("link", name=product.name).click()
    expect(consumer.get_by_test_id("registration")).to_contain_text("450200-CP-")
    consumer.get_by_label("服务期限（月）").fill("12")
    consumer.get_by_label("购买数量（按次：次数；按量：千行）").fill("2500")
    consumer.get_by_test_id("place-order").click()
    _said(consumer, "订单已提交")
    expect(consumer.get_by_test_id("order-amount")).to_contain_text("1,000.00")
    consumer.get_by_test_id("sign").click()
    _said(consumer, "合同已签署。")
    order_url = consumer.url

    operator.goto(order_url)
    operator.get_by_test_id("sign").click()
    expect(operator.get_by_test_id("order-status")).to_have_text("待付款")
    operator.get_by_label("付款金额（元）").fill("1,000")
    operator.get_by_label("银行转账流水号").fill("ICBC-20261128-001")
    operator.get_by_test_id("record-payment").click()
    expect(operator.get_by_test_id("order-status")).to_have_text("待确认付款")

    consumer.goto(order_url)
    consumer.get_by_test_id("confirm-payment").click()
    expect(consumer.get_by_test_id("order-status")).to_have_text("已交付待验收")
    expect(consumer.get_by_test_id("signatures")).to_contain_text("验签通过")
    screenshot(consumer, "market-order-delivered")
    assert Order.objects.get().subscription.status == "active"

    consumer.goto("/products/credentials/")
    consumer.get_by_placeholder("凭证名称，例如 生产环境").fill("生产环境")
    consumer.get_by_test_id("create-credential").click()
    client_id = consumer.get_by_test_id("client-id").inner_text()
    secret = consumer.get_by_test_id("client-secret").inner_text()
    token = requests.post(
        f"{live_server.url}/gateway/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    ).json()["access_token"]
    answer = requests.post(
        f"{live_server.url}/gateway/v1/products/{product.code}",
        json={"params": {"since": "2024-02-01"}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200

    consumer.goto(order_url)
    consumer.get_by_test_id("accept").click()
    expect(consumer.get_by_test_id("order-status")).to_have_text("已验收结算")
    consumer.goto("/market/orders/")
    expect(consumer.get_by_role("cell", name="已验收结算")).to_be_visible()


def test_a_survey_declared_by_excel_decided_and_migrated(industry, session, tmp_path):  # noqa: F811
    product = _product(industry)
    town = industry.city
    bureau = session(town.bureau)
    bureau.goto("/market/surveys/")
    bureau.get_by_label("摸底名称").fill("2026 年存量服务摸底")
    deadline = timezone.localdate().replace(year=timezone.localdate().year + 1)
    bureau.get_by_label("填报截止日期").fill(deadline.isoformat())
    bureau.get_by_role("button", name="发起并通知各部门").click()
    _said(bureau, "摸底已发起")
    survey_url = bureau.url

    provider = session(town.provider)
    provider.goto(survey_url)
    with provider.expect_download() as download:
        provider.get_by_test_id("survey-template").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    book["存量服务"].append(
        ["柳州某银行", "91450200MA5N0B01X0", "企业", town.social.code, "接口",
         "贷款审批核验参保状态", "柳人社协〔2023〕5号", "2023-03-01", None, "是",
         "36,000", "12000", "专线接入"]
    )  # fmt: skip
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    provider.get_by_label("填报模板").set_input_files(str(bad))
    provider.get_by_test_id("survey-import").click()
    _said(provider, "导入未完成")
    _said(provider, "「存量服务」第 2 行「服务对象统一社会信用代码」")
    from pdao.accounts.credit_code import make

    book["存量服务"]["B2"] = make("91", "450200", "MA5N0B01")
    good = tmp_path / "good.xlsx"
    book.save(good)
    provider.get_by_label("填报模板").set_input_files(str(good))
    provider.get_by_test_id("survey-import").click()
    _said(provider, "已从 Excel 申报 1 项服务。")
    provider.get_by_test_id("survey-return").click()
    _said(provider, "报送后不能再修改或撤回")  # asked once more: it cannot be undone
    provider.get_by_test_id("confirm-yes").click()
    _said(provider, "已报送")

    bureau.goto(survey_url)
    bureau.get_by_label("处置意见").first.select_option(label="纳入授权运营")
    bureau.locator("[data-testid^=decide-]").first.click()
    _said(bureau, "处置意见已登记。")
    bureau.get_by_label("替代的授权和产品").select_option(
        f"{industry.authorization.code}|{product.code}"
    )
    bureau.get_by_test_id("close-migration").click()
    _said(bureau, "迁移任务已完成。")
    with bureau.expect_download() as download:
        bureau.get_by_test_id("survey-export").click()
    export = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert export["服务明细"]["N2"].value == "纳入授权运营"
    screenshot(bureau, "market-survey")
