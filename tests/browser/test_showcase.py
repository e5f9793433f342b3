"""The accountability cycle in the browser, each step by the role that does it: the industry
department nominates a scenario, two experts score it, the taskforce confirms it and it appears
on the public showcase; the bureau drafts and publishes last year's disclosure; the taskforce
generates the monthly work report and downloads its PDF, whose first page is rendered here to
PNG: Chinese text and a chart, not blank."""

import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from pdao.authorization.models import Authorization
from pdao.showcase import kpis
from tests.browser.conftest import screenshot
from tests.browser.test_authorization import session  # noqa: F401 (fixture)
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)
from tests.showcase.conftest import showcase  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIRST = {"应用成效": 90, "创新性": 80, "引领效应": 70, "数据安全": 85, "可推广性": 75}
SECOND = {"应用成效": 77, "创新性": 66, "引领效应": 59, "数据安全": 93, "可推广性": 81}
WEIGHTS = {"应用成效": 30, "创新性": 20, "引领效应": 20, "数据安全": 15, "可推广性": 15}


def _said(page, text: str) -> None:
    expect(page.get_by_text(text).first).to_be_visible()


def _score(page, scores: dict) -> None:
    for label, value in scores.items():
        page.get_by_label(f"{label}（{WEIGHTS[label]}%）").fill(str(value))
    page.get_by_label("评审意见").fill("案例翔实，成效可量化。")
    page.get_by_label("本人声明与该场景的运营单位、推荐部门不存在利益冲突。").check()
    page.get_by_role("button", name="提交评分").click()
    _said(page, "评分已提交。")


def test_nominate_score_confirm_show_then_disclose_and_report(
    showcase,  # noqa: F811
    session,  # noqa: F811
    browser,
    live_server,
    tmp_path,
):
    scenario = showcase.scenario
    department = session(showcase.department)
    department.goto(f"/showcase/s/{scenario.code}/")
    department.get_by_label("推荐理由").fill("成效显著，可在其他银行复制。")
    department.get_by_role("button", name="推荐", exact=True).click()
    _said(department, "已推荐，等待专家评审。")
    nomination_url = department.url

    for expert, scores in zip(showcase.experts[:2], (FIRST, SECOND), strict=True):
        page = session(expert)
        page.goto(nomination_url)
        _score(page, scores)
    taskforce = session(showcase.taskforce)
    taskforce.goto(nomination_url)
    expect(taskforce.get_by_test_id("mean-score")).to_have_text("77.60")
    taskforce.get_by_test_id("confirm").click()
    _said(taskforce, "认定结果已登记。")
    expect(taskforce.get_by_test_id("nomination-status")).to_have_text("市级典型场景")
    screenshot(taskforce, "showcase-nomination")

    anonymous = browser.new_page(base_url=live_server.url, locale="zh-CN")
    anonymous.goto("/showcase/")
    expect(anonymous.get_by_test_id("showcase-domain")).to_contain_text(scenario.name)
    screenshot(anonymous, "showcase-public")
    anonymous.close()

    # Last year's disclosure: the market's authorization held since March of last year.
    last_year = timezone.localdate().year - 1
    Authorization.objects.filter(pk=showcase.market.authorization.pk).update(
        created_at=datetime(last_year, 3, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")),
        starts_on=datetime(last_year, 3, 1).date(),
    )
    bureau = session(showcase.market.city.bureau)
    bureau.goto("/showcase/disclosures/mine/")
    bureau.get_by_label("披露年度").fill(str(last_year))
    bureau.get_by_role("button", name="根据平台记录起草").click()
    _said(bureau, "已根据平台记录起草")
    expect(bureau.get_by_test_id("table-authorizations")).to_contain_text(
        showcase.market.authorization.code
    )
    bureau.get_by_label("联系方式").fill("柳州市数据局 0772-0000000")
    bureau.get_by_role("button", name="保存", exact=True).click()
    _said(bureau, "已保存。")
    bureau.get_by_test_id("publish").click()
    _said(bureau, "信息披露已公开")
    expect(bureau.get_by_test_id("disclosure-status")).to_have_text("已公开")
    bureau.goto(f"/showcase/disclosures/{last_year}/")
    expect(bureau.locator("table")).to_contain_text(showcase.market.city.bureau.organisation.name)

    # The monthly report, with its charts, downloaded and its first page rendered.
    kpis.recompute()
    taskforce.goto("/showcase/reports/")
    taskforce.get_by_label("报告期").fill(kpis.month_of(timezone.localdate()))
    taskforce.get_by_role("button", name="生成报告", exact=True).click()
    _said(taskforce, "工作报告已生成")
    with taskforce.expect_download() as download:
        taskforce.get_by_test_id("report-pdf").first.click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], check=True, capture_output=True
    ).stdout.decode()
    assert "公共数据授权运营工作月报" in text and "年度目标进展" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    page_one = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    pixels = list(page_one.get_flattened_data())
    ink = sum(1 for r, g, b in pixels if r + g + b < 300)
    chart_blue = sum(1 for r, g, b in pixels if b > 150 and r < 80 and g < 140)
    assert ink > 2000, "the first page renders without text"
    assert chart_blue > 200, "the first page has no chart"
    screenshot(taskforce, "showcase-reports")
