"""The finance pillar in the browser: a cost survey to an approved MAR, a month of metered calls
to its statement, a remittance from notice to the finance bureau's confirmation, and the
31 March report generated, downloaded and filed — each step by the role that does it."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect

from pdao.core.permissions import Role
from pdao.finance import revenue
from pdao.finance.models import AnnualReport, Remittance
from pdao.products.choices import Charging
from pdao.products.models import Delivery
from tests.browser.conftest import screenshot
from tests.browser.test_authorization import session  # noqa: F401 (fixture)
from tests.factories import user_with_role
from tests.finance.conftest import industry  # noqa: F401 (fixture)
from tests.finance.test_revenue import _calls, _listed
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _said(page, text: str) -> None:
    expect(page.get_by_text(text).first).to_be_visible()


def test_survey_to_mar_to_statement_to_remittance_to_the_yearly_report(industry, session):  # noqa: F811
    operator_org = industry.operator.organisation
    bureau = session(industry.city.bureau)
    bureau.goto("/finance/periods/")
    bureau.get_by_text("设立定价周期", exact=True).click()
    bureau.get_by_label("运营单位").select_option(label=operator_org.name)
    bureau.get_by_label("起始日期").fill("2025-01-01")
    bureau.get_by_label("截止日期").fill("2025-12-31")
    bureau.get_by_label("收费标准").select_option(label="试行标准")
    bureau.get_by_role("button", name="设立", exact=True).click()
    _said(bureau, "已设立定价周期")
    period_url = bureau.url
    bureau.locator("input[name=year]").fill("2025")
    bureau.get_by_role("button", name="发起成本调查").click()
    _said(bureau, "已发起成本调查")

    operator = session(industry.operator)
    operator.goto(period_url)
    operator.get_by_label("成本类别").select_option(label="人员成本")
    operator.get_by_label("说明").fill("数据分析与运营人员")
    operator.get_by_label("申报金额（元）").fill("100,000")
    operator.get_by_role("button", name="申报成本项目").click()
    _said(operator, "已申报成本项目")
    operator.get_by_role("button", name="提交审核").click()
    _said(operator, "已提交成本调查")

    bureau.goto("/finance/limits/")
    bureau.get_by_placeholder("年度").fill("2024")
    bureau.get_by_placeholder("平均收益率（%）").fill("2.0")
    bureau.get_by_placeholder("数据来源").fill("中国债券信息网")
    bureau.get_by_role("button", name="录入收益率").click()
    _said(bureau, "已录入国债平均收益率")
    bureau.goto(period_url)
    bureau.get_by_role("button", name="核定经营成本").click()
    _said(bureau, "已核定经营成本")
    bureau.get_by_text("测算最高准许收入", exact=True).click()
    bureau.get_by_label("准许利润率（%）").fill("9")
    bureau.get_by_label("税金（元）").fill("0")
    bureau.get_by_role("button", name="测算", exact=True).click()
    _said(bureau, "准许利润率不能超过 8。")  # 2.0 + 6 percentage points
    bureau.get_by_text("测算最高准许收入", exact=True).click()
    bureau.get_by_label("准许利润率（%）").fill("5")
    bureau.get_by_label("税金（元）").fill("0")
    bureau.get_by_role("button", name="测算", exact=True).click()
    bureau.get_by_placeholder("发展改革部门与数据部门批复文号").fill("柳发改价格〔2025〕12号")
    bureau.get_by_role("button", name="登记批复").click()
    expect(bureau.get_by_test_id("year-1")).to_contain_text("105,000.00")
    expect(bureau.get_by_test_id("year-1")).to_contain_text("已批复")
    screenshot(bureau, "finance-period")

    # A month of metered calls (through the gateway), priced by the bureau's compute button.
    product = _listed(industry, "0.50", name="按次", charging=Charging.PER_CALL,
                      unit_price=Decimal("0.45"))  # fmt: skip
    assert _calls(industry, product, ["2024-01-01", "2024-02-01", "2024-03-01"]) == [200] * 3
    Delivery.objects.update(created_at=timezone.now().replace(year=2025, month=2, day=10))
    revenue.compute_month("2025-01")
    revenue.compute_month("2025-03")
    bureau.goto("/finance/revenue/")
    bureau.locator("input[name=month]").fill("2025-02")
    bureau.get_by_role("button", name="计算该月收入").click()
    _said(bureau, "已计算 2025-02 收入明细 1 条")

    operator.goto("/finance/mine/")
    with operator.expect_download() as got:
        operator.get_by_role("link", name="Excel").first.click()
    sheet = load_workbook(BytesIO(got.value.path().read_bytes()))["明细"]
    assert [row[8] for row in sheet.iter_rows(min_row=2, values_only=True)] == [1.35]

    finance_user = user_with_role(Role.FINANCE)
    finance = session(finance_user)
    finance.goto("/finance/payee/")
    finance.get_by_label("收款单位").fill("柳州市财政局")
    finance.get_by_label("开户银行").fill("中国工商银行柳州分行")
    finance.get_by_label("账号").fill("2105001109000012345")
    finance.get_by_label("预算科目编码").fill("1030199")
    finance.get_by_label("预算科目名称").fill("其他国有资源（资产）有偿使用收入")
    finance.get_by_label("启用日期").fill("2025-01-01")
    finance.get_by_role("button", name="保存").click()
    _said(finance, "已保存收缴账户")
    finance.goto("/finance/remittances/")
    finance.locator("input[name=year]").fill("2025")
    finance.locator("select[name=quarter]").select_option("1")
    finance.get_by_role("button", name="开具缴款通知").click()
    _said(finance, "已开具缴款通知 1 份")
    remittance = Remittance.objects.get()

    operator.goto(f"/finance/remittances/{remittance.pk}/")
    with operator.expect_download() as got:
        operator.get_by_test_id("notice-docx").click()
    notice = "\n".join(p.text for p in Document(got.value.path()).paragraphs)
    assert "中国工商银行柳州分行" in notice and "2025年第1季度" in notice
    operator.get_by_label("缴款金额（元）").fill("0.13")
    operator.get_by_label("银行缴款凭证号").fill("ICBC20250415001")
    operator.get_by_role("button", name="登记缴款").click()
    _said(operator, "缴款金额 0.13 元与缴款通知的应缴金额 0.14 元不符。")
    operator.get_by_label("缴款金额（元）").fill("0.14")
    operator.get_by_label("银行缴款凭证号").fill("ICBC20250415001")
    operator.get_by_role("button", name="登记缴款").click()
    expect(operator.get_by_test_id("remittance-status")).to_have_text("已缴款待确认")

    finance.goto(f"/finance/remittances/{remittance.pk}/")
    finance.get_by_test_id("confirm-remittance").click()
    expect(finance.get_by_test_id("remittance-status")).to_have_text("财政已确认")
    screenshot(finance, "finance-remittance")
    finance.goto("/finance/")
    expect(finance.locator("#chart-months canvas")).to_have_count(1)  # drawn by ECharts
    screenshot(finance, "finance-dashboard")

    bureau.goto("/finance/reports/")
    bureau.locator("input[name=year]").fill("2025")
    bureau.get_by_test_id("generate-report").click()
    _said(bureau, "已生成 2025 年度报告")
    with bureau.expect_download() as got:
        bureau.get_by_test_id("report-docx").click()
    report = "\n".join(p.text for p in Document(got.value.path()).paragraphs)
    assert "收入合计 1.35 元" in report and "财政已确认收缴 0.14 元" in report
    bureau.get_by_test_id("file-report").click()
    _said(bureau, "已报送年度报告")
    assert AnnualReport.objects.get(year=2025).status == AnnualReport.Status.FILED
    screenshot(bureau, "finance-report")
