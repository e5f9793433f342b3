"""One application from draft to active authorization through the UI: operator, provider,
two experts and the bureau, each in their own browser session."""

import pytest
from playwright.sync_api import expect

from pdao.authorization.models import Application, Authorization
from tests.authorization.conftest import pass_notice
from tests.browser.conftest import screenshot
from tests.browser.test_shell import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def session(browser, live_server):
    """session(user) -> a page signed in as `user`, in a context of its own."""
    contexts = []

    def open_as(user):
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, user.username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_application_walks_from_draft_to_active_authorization(city, session):
    operator = session(city.operator)
    operator.goto("/authorization/new/")
    operator.get_by_label("场景名称").fill("柳州市灵活就业人员参保分析")
    operator.get_by_label("领域").select_option(label="城市治理")
    operator.get_by_label("用途类别").select_option(label="公益")
    operator.get_by_label("场景描述").fill("按区县统计灵活就业人员参保情况。")
    operator.get_by_label("受益对象").fill("市人社局")
    operator.get_by_label("预期成效").fill("参保率提升")
    operator.get_by_label("安全保障方案").fill("专区内聚合分析,结果审核后出域。")
    operator.get_by_role("button", name="保存草稿").click()
    expect(operator.get_by_test_id("application-status")).to_have_text("草稿")

    operator.get_by_test_id("add-item").click()
    operator.get_by_test_id("pick-resource").select_option(
        label=f"{city.social.code} 社保缴纳记录（一般数据（3级））"
    )
    for field in ("公民身份号码", "缴费金额", "所在区县"):
        operator.get_by_label(field, exact=True).check()
        operator.get_by_label(f"使用目的 {field}").fill("按区县统计")
    operator.get_by_label("使用理由 公民身份号码").fill("去重计数所必需,不出域")
    operator.get_by_label("聚合统计").check()
    operator.get_by_test_id("save-item").click()
    operator.get_by_test_id("submit-application").click()
    expect(operator.get_by_test_id("application-status")).to_have_text("待受理")
    expect(operator.get_by_test_id("precheck")).to_contain_text("通过")
    screenshot(operator, "authorization-submitted")
    application = Application.objects.get(scenario="柳州市灵活就业人员参保分析")
    url = f"/authorization/{application.pk}/"

    bureau = session(city.bureau)
    bureau.goto(url)
    bureau.get_by_test_id("accept").click()
    expect(bureau.get_by_test_id("application-status")).to_have_text("征求提供单位意见")

    provider = session(city.provider)
    provider.goto(url)
    provider.get_by_label("同意", exact=True).check()
    provider.get_by_test_id("give-opinion").click()
    expect(provider.get_by_test_id("application-status")).to_have_text("安全事前评估")

    bureau.goto(url)
    expect(bureau.get_by_test_id("risk")).to_contain_text("风险得分")
    bureau.get_by_test_id("assess").click()
    expect(bureau.get_by_test_id("application-status")).to_have_text("专家评审")

    for reviewer, value in zip(city.reviewers[:2], ("85", "75"), strict=True):
        expert = session(reviewer)
        expert.goto(url)
        form = expert.get_by_test_id("score-form")
        for number in form.locator("input[type=number]").all():
            number.fill(value)
        form.get_by_label("本人声明与申请单位不存在利益冲突").check()
        expert.get_by_test_id("submit-score").click()
        expect(expert.locator(".msg").first).to_contain_text("评分已提交")

    bureau.goto(url)
    expect(bureau.get_by_test_id("mean-score")).to_have_text("80.0")
    bureau.get_by_test_id("close-scoring").click()
    expect(bureau.get_by_test_id("application-status")).to_have_text("公示中")
    pass_notice(application)  # the notice's working days, moved into the past
    bureau.goto(url)
    bureau.get_by_test_id("close-notice").click()
    expect(bureau.get_by_test_id("application-status")).to_have_text("待决定")
    decision = bureau.get_by_test_id("decision-form")
    decision.get_by_label("决定理由").fill("场景价值明确,同意授权。")
    bureau.get_by_test_id("decide").click()
    expect(bureau.get_by_test_id("application-status")).to_have_text("已批准，待签协议")

    operator.goto(url)
    operator.get_by_test_id("agreement-link").click()
    operator.get_by_label("本单位已阅读并同意上述全部条款").check()
    operator.get_by_test_id("sign").click()
    expect(operator.get_by_text("签名有效")).to_have_count(1)

    bureau.goto(url)
    bureau.get_by_test_id("agreement-link").click()
    bureau.get_by_label("本单位已阅读并同意上述全部条款").check()
    bureau.get_by_test_id("sign").click()
    expect(bureau.get_by_test_id("verification")).to_contain_text("双方签署，验证通过")
    screenshot(bureau, "authorization-agreement-signed")

    operator.goto(url)
    expect(operator.get_by_test_id("application-status")).to_have_text("已授权")
    operator.get_by_test_id("authorization-link").click()
    expect(operator.get_by_test_id("authorization-status")).to_have_text("有效")
    expect(operator.get_by_test_id("access-decision")).to_contain_text("当前可用")
    screenshot(operator, "authorization-active")
    assert Authorization.objects.get(application=application).status == "active"
