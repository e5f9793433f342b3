import re

import pytest
from playwright.sync_api import expect

from pdao.accounts import services
from pdao.core.permissions import Role
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, OrganisationFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_signs_in_and_sees_its_workbench(page, role):
    user = user_with_role(role)
    sign_in(page, user.username)
    expect(page.get_by_test_id("workbench-title")).to_have_text("工作台")
    section = page.locator(f"section[data-role='{role.value}']")
    expect(section.get_by_role("heading", level=2)).to_have_text(str(role.label))
    expect(page.get_by_test_id("current-user")).to_contain_text(user.display_name)
    screenshot(page, f"workbench-{role.value}")


def test_wrong_password_shows_a_chinese_error_and_stays_signed_out(page):
    user = user_with_role(Role.OPERATOR)
    sign_in(page, user.username, "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    page.goto("/workbench/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_language_switch_to_english_and_back(page):
    user = user_with_role(Role.SUPERVISOR)
    sign_in(page, user.username)
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("workbench-title")).to_have_text("Workbench")
    expect(page.locator("section[data-role='supervisor'] h2")).to_have_text("Supervisor")
    expect(page.get_by_role("link", name="Audit log")).to_be_visible()
    screenshot(page, "workbench-supervisor-en")
    page.get_by_test_id("lang-zh").click()
    expect(page.get_by_test_id("workbench-title")).to_have_text("工作台")


def test_bureau_verifies_an_organisation_from_its_workbench(page):
    admin = user_with_role(Role.BUREAU_ADMIN)
    services.verify_organisation(admin.organisation, by=admin)
    OrganisationFactory(name="柳州待核验科技有限公司")
    sign_in(page, admin.username)
    page.get_by_role("link", name="待核验的组织").click()
    page.get_by_role("link", name="柳州待核验科技有限公司").click()
    page.get_by_test_id("verify").click()
    expect(page.get_by_role("status")).to_contain_text("已核验组织「柳州待核验科技有限公司」")
    page.goto("/audit/events/")
    expect(page.locator("#rows")).to_contain_text("核验组织「柳州待核验科技有限公司」")


def test_audit_filter_updates_rows_in_place(page):
    supervisor = user_with_role(Role.SUPERVISOR)
    sign_in(page, supervisor.username)
    page.goto("/audit/events/")
    page.get_by_label("操作", exact=True).select_option("auth.login")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"action=auth\.login"))
    expect(page.locator("#rows tbody tr")).to_have_count(1)
    expect(page.locator("#rows")).to_contain_text(f"用户 {supervisor.username} 登录")
    screenshot(page, "audit-filtered")


def test_phone_width_folds_the_menu_and_unfolds_on_tap(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    user = user_with_role(Role.BUREAU_ADMIN)
    sign_in(page, user.username)
    menu_link = page.get_by_role("link", name="审计日志")
    expect(menu_link).to_be_hidden()
    page.get_by_text("功能菜单").click()
    expect(menu_link).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways at phone width ({width}px)"
    screenshot(page, "workbench-phone")
    context.close()
