import pytest
from django.test import Client
from django.urls import reverse

from pdao.accounts import services
from pdao.core.permissions import Role
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_home_is_public_and_chinese_by_default():
    body = Client().get("/").content.decode()
    assert "公共数据授权运营平台" in body
    assert "原始数据不出域" in body
    assert 'lang="zh-CN"' in body


def test_home_counts_only_verified_active_participants(bureau_admin):
    OrganisationFactory(type="operator")  # unverified: not counted
    verified = OrganisationFactory(type="operator")
    services.verify_organisation(verified, by=bureau_admin)
    response = Client().get("/")
    assert ("数据运营单位", 1) in [(str(label), n) for label, n in response.context["participants"]]


def test_browser_language_does_not_override_chinese_default():
    body = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/").content.decode()
    assert 'lang="zh-CN"' in body


def test_switching_to_english_changes_the_interface():
    client = Client()
    response = client.post(reverse("core:set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get("/").content.decode()
    assert 'lang="en"' in body
    assert "Liuzhou Public Data Authorized Operation Platform" in body
    assert "Sign in" in body


def test_workbench_shows_pending_verification_to_the_bureau(bureau_admin, client_for):
    OrganisationFactory(name="待核验公司")
    response = client_for(bureau_admin).get(reverse("core:workbench"))
    [section] = response.context["sections"]
    titles = {str(item.title): item.count for item in section["items"]}
    # the admin's own organisation (unverified in this test) and the new one
    assert titles["待核验的组织"] == 2
    services.verify_organisation(bureau_admin.organisation, by=bureau_admin)
    response = client_for(bureau_admin).get(reverse("core:workbench"))
    [section] = response.context["sections"]
    assert {str(i.title): i.count for i in section["items"]}["待核验的组织"] == 1


def test_workbench_has_one_section_per_role_held(client_for):
    user = user_with_role(Role.PROVIDER)
    services.grant_role(user, Role.INDUSTRY_LEAD, by=None)
    response = client_for(user).get(reverse("core:workbench"))
    assert [s["role"] for s in response.context["sections"]] == [Role.PROVIDER, Role.INDUSTRY_LEAD]


def test_the_finance_bureau_sees_its_remittance_work(client_for):
    page = client_for(user_with_role(Role.FINANCE)).get(reverse("core:workbench"))
    [section] = page.context["sections"]
    items = {str(i.title): i.count for i in section["items"]}
    assert (items["已缴款待确认"], items["逾期未缴的收益上缴"]) == (0, 0)
    assert "正在建设" not in page.content.decode()


@pytest.mark.parametrize(
    ("role", "says", "pages"),
    [(Role.INDUSTRY_LEAD, "推荐本部门主管领域的应用场景", 3), (Role.TASKFORCE, "年度目标", 4)],
)
def test_roles_with_an_introduction_see_what_they_do_and_the_pages_for_it(
    role, says, pages, client_for
):
    client = client_for(user_with_role(role))
    page = client.get(reverse("core:workbench")).content.decode()
    assert says in page and "正在建设" not in page
    section = page[page.index(f'data-role="{role.value}"') :]
    links = [
        part.split('"')[0] for part in section.split('role="button" class="secondary" href="')[1:]
    ]
    assert len(links) == pages
    for link in links:  # each page it is pointed to opens for it
        assert client.get(link).status_code == 200, link


def test_workbench_tells_a_user_without_roles_what_to_do(client_for):
    from tests.factories import UserFactory

    response = client_for(UserFactory()).get(reverse("core:workbench"))
    assert "尚未被授予任何角色" in response.content.decode()


def test_menu_lists_only_what_the_role_may_open(client_for):
    operator_body = client_for(user_with_role(Role.OPERATOR)).get("/workbench/").content.decode()
    supervisor_body = (
        client_for(user_with_role(Role.SUPERVISOR)).get("/workbench/").content.decode()
    )
    assert reverse("audit:event_list") not in operator_body
    assert reverse("audit:event_list") in supervisor_body


def test_from_the_portal_a_visitor_reaches_every_public_service():
    client = Client()
    page = client.get("/").content.decode()
    services = page.split('data-testid="public-services"')[1].split("</section>")[0]
    for name in ("market:home", "products:market", "market:firms", "catalogue:open_catalogue",
                 "authorization:notices", "catalogue:notices", "catalogue:demands",
                 "products:consumer_register", "ledger:keys", "gateway:openapi-view"):  # fmt: skip
        url = reverse(name)
        assert f'href="{url}"' in services, name
        assert client.get(url).status_code == 200, name  # open to a visitor


def test_downloads_are_named_in_chinese_with_an_ascii_fallback():
    from urllib.parse import unquote

    from pdao.core.downloads import disposition

    value = disposition("审计日志-20261128.xlsx", fallback="audit-events-20261128.xlsx")
    assert value.startswith(
        "attachment; filename=\"audit-events-20261128.xlsx\"; filename*=UTF-8''"
    )
    assert unquote(value.split("UTF-8''")[1]) == "审计日志-20261128.xlsx"
    assert disposition("公共数据目录.csv").startswith(
        "attachment; filename=\"download.csv\"; filename*=UTF-8''%E5%85%AC"
    )
    assert disposition("report.pdf") == 'attachment; filename="report.pdf"'
    assert disposition('a"b\\c.pdf') == 'attachment; filename="a-b-c.pdf"'
    assert disposition("报告.pdf", fallback='x"\\y.pdf').startswith(
        'attachment; filename="x-y.pdf";'
    )


def test_healthz_reports_ok():
    assert Client().get("/healthz").json()["status"] == "ok"


def test_every_response_carries_a_request_id():
    assert len(Client().get("/").headers["X-Request-ID"]) == 32


def test_unknown_page_is_a_chinese_404():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_security_headers_are_set():
    response = Client().get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_asset_is_loaded_from_another_host():
    import re

    body = Client().get("/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources)
