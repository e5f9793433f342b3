"""合规审查备案登记: every review result with its filing number, from the records themselves,
filterable and exported to Excel safely."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pdao.audit.models import AuditEvent
from pdao.authorization import services as authorization
from pdao.products import services as products
from pdao.supervision import filings
from tests.conftest import AUTH_BACKEND
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(market):  # noqa: F811
    """A filed product, a product whose review failed, the market's authorization, and a
    rejected application whose reason starts like a spreadsheet formula."""
    filed = market.to_market(market.product())
    failing = market.product(name="未通过产品")
    products.save_plan(failing, by=market.operator, name="免费", charging="free")
    review = products.submit_for_review(failing, by=market.operator)
    products.sign_review(review, by=market.reviewer, role="reviewer", approved=False, note="超范围")
    town = market.city
    rejected = town.to_decision(town.draft((town.social, ["aggregate"])))
    authorization.decide(rejected, by=town.bureau, approve=False, reason="=HYPERLINK(1) 场景重复")
    return market, filed, failing, rejected


def test_the_register_lists_each_result_with_its_filing_number(reviewed):
    shop, filed, failing, rejected = reviewed
    rows = filings.register()
    by_subject = {f.subject.split()[0]: f for f in rows}

    assert by_subject[filed.code].number == filed.filing_no and by_subject[filed.code].passed
    assert by_subject[failing.code].number == "" and not by_subject[failing.code].passed
    assert "超范围" in by_subject[failing.code].reviewers
    approved = by_subject[shop.authorization.application.code]
    assert approved.number == shop.authorization.code and approved.passed
    assert by_subject[rejected.code].result == "不予授权" and by_subject[rejected.code].number == ""
    assert [f.decided_at for f in rows] == sorted((f.decided_at for f in rows), reverse=True)

    assert {f.kind for f in filings.register(kind="product")} == {"product"}
    assert [f.number for f in filings.register(q=filed.filing_no)] == [filed.filing_no]
    assert filings.register(year=1999) == []


def test_the_register_exports_to_excel_with_formulas_defused(reviewed, client):
    shop, filed, *_ = reviewed
    client.force_login(shop.supervisor, backend=AUTH_BACKEND)
    page = client.get(reverse("supervision:filing_list")).content.decode()
    assert filed.filing_no in page and "不予授权" in page

    response = client.get(reverse("supervision:filing_export"), {"kind": "authorization"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "备案编号" and len(values) == 1 + 2
    assert {row[1] for row in values[1:]} == {"授权审查决定"}
    reasons = [row[6] for row in values[1:]]
    assert "'=HYPERLINK(1) 场景重复" in reasons  # read as text, never as a formula
    assert AuditEvent.objects.filter(action="filings.export").exists()
