import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from pdao.catalogue import services
from pdao.catalogue.choices import Grade
from pdao.catalogue.models import Version
from pdao.core.permissions import Role
from tests.browser.conftest import screenshot
from tests.browser.test_shell import sign_in
from tests.catalogue.test_ingest import COLUMNS, people, write_csv
from tests.factories import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_page_follows_the_worker_to_the_new_version(page, tmp_path):
    provider = user_with_role(Role.PROVIDER)
    fields = [{"name": c.name, "type": c.type, "label": c.label} for c in COLUMNS]
    resource = services.register_resource(
        by=provider, provider=provider.organisation, fields=fields, name="参保人员(合成)",
        domain="governance", sharing="conditional", opening="none", frequency="monthly",
        grade=Grade.GENERAL_3, is_synthetic=True,
    )  # fmt: skip
    path = write_csv(tmp_path / "参保人员.csv", people(3_000), encoding="gbk")
    sign_in(page, provider.username)
    page.goto(f"/catalogue/{resource.pk}/upload/")
    page.get_by_label("数据文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并校验").click()

    progress = page.get_by_test_id("ingest-progress")
    expect(progress).to_have_attribute("data-status", "queued")
    expect(progress).to_contain_text("排队等待处理")
    screenshot(page, "ingest-queued")

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    # The page polls once a second and shows the outcome without a reload.
    expect(page.get_by_test_id("ingest-succeeded")).to_contain_text("已归集第 1 版：3000 行")
    screenshot(page, "ingest-succeeded")
    assert Version.objects.get(resource=resource).rows == 3_000
