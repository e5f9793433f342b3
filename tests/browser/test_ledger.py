import json
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pdao.accounts import services as accounts
from pdao.core.permissions import Role
from pdao.ledger import services as ledger
from tests.browser.conftest import screenshot
from tests.browser.test_shell import sign_in
from tests.factories import OrganisationFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def test_verified_organisation_gets_a_receipt_that_verifies_offline(page, tmp_path):
    admin = user_with_role(Role.BUREAU_ADMIN)
    accounts.verify_organisation(admin.organisation, by=admin)
    organisation = OrganisationFactory(name="柳州上链测试科技有限公司")
    sign_in(page, admin.username)
    page.goto(f"/accounts/organisations/{organisation.pk}/")
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("ledger-badge")).to_contain_text("已上链")
    screenshot(page, "organisation-on-ledger")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载回执").click()
    receipt_path = tmp_path / "receipt.json"
    download.value.save_as(receipt_path)
    assert json.loads(receipt_path.read_text())["format"] == "pdao-ledger-receipt/v1"

    argv = [sys.executable, "-m", "pdao.ledger.verify_cli", str(receipt_path)]
    argv += ["--key", ledger.log_key().vkey]
    for witness in ledger.witness_keys():
        argv += ["--witness", witness.vkey]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "organisation.verify" in result.stdout

    page.goto("/ledger/")
    page.get_by_test_id("verify-ledger").click()
    expect(page.get_by_role("status")).to_contain_text("账本校验通过")
    screenshot(page, "ledger-overview")
