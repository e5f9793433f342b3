"""The operator's declared revenue reconciled with the ledger line by line: equal rows, a
different amount, rows on one side only; a bad file is refused with its row and column and
nothing saved; the statement carries the reconciliation."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from pdao.finance import reconcile, revenue
from pdao.finance.models import Declaration
from pdao.products.choices import Charging
from pdao.products.models import Delivery
from tests.finance.test_revenue import _calls, _listed

pytestmark = pytest.mark.django_db
MONTH = "2025-02"


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(reconcile.HEADER))
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def month(industry):
    product = _listed(industry, "0.50", name="按次", charging=Charging.PER_CALL,
                      unit_price=Decimal("0.45"))  # fmt: skip
    assert _calls(industry, product, ["2024-01-01", "2024-02-01", "2024-03-01"]) == [200] * 3
    Delivery.objects.update(created_at=Delivery.objects.first().created_at.replace(
        year=2025, month=2, day=10))  # fmt: skip
    revenue.compute_month(MONTH)
    return industry, product


def test_differences_are_listed_line_by_line(month, client_for):
    shop, product = month
    consumer = shop.consumer.organisation.credit_code
    owner = client_for(shop.operator)
    upload = SimpleUploadedFile("2月计费.xlsx", _xlsx([
        (product.code, consumer, 1.30),  # the ledger says 1.35
        ("LZ-DP-2099-9999", "91450200MA5N00000X", "20.00"),  # not in the ledger
    ]))  # fmt: skip
    page = owner.post(f"/finance/reconcile/{MONTH}/declare/", {"file": upload}, follow=True)
    text = page.content.decode()
    assert "已上传申报收入" in text and "2 行不一致" in text
    found = reconcile.differences(MONTH, shop.operator.organisation)
    assert [(d.product_code, d.ledger_fen, d.declared_fen, d.difference_fen, d.verdict)
            for d in found] == [
        (product.code, 135, 130, -5, "金额不一致"),
        ("LZ-DP-2099-9999", 0, 2000, 2000, "仅申报有"),
    ]  # fmt: skip
    sheet = owner.get(f"/finance/statements/{MONTH}/operator/{shop.operator.organisation.pk}.xlsx")
    rows = list(
        load_workbook(BytesIO(sheet.content))["核对"].iter_rows(min_row=2, values_only=True)
    )
    assert [(r[0], r[4], r[5], r[6], r[7]) for r in rows] == [
        (product.code, 1.35, 1.3, -0.05, "金额不一致"), ("LZ-DP-2099-9999", 0, 20, 20, "仅申报有"),
    ]  # fmt: skip
    # A corrected upload replaces the month's declaration: every line agrees.
    fixed = SimpleUploadedFile("2月计费.csv", (
        "产品编号,使用方统一社会信用代码,金额（元）\n"
        f"{product.code},{consumer},1.35\n"
    ).encode("gb18030"))  # fmt: skip
    page = owner.post(f"/finance/reconcile/{MONTH}/declare/", {"file": fixed}, follow=True)
    assert "逐行一致" in page.content.decode()
    assert Declaration.objects.count() == 1


def test_a_bad_file_is_refused_with_its_row_and_column_and_nothing_saved(month, client_for):
    shop, product = month
    owner = client_for(shop.operator)
    bad = SimpleUploadedFile("bad.xlsx", _xlsx([
        (product.code, "123", "1.35"), (product.code, shop.consumer.organisation.credit_code,
                                        "一块三毛五"),
        (product.code, shop.consumer.organisation.credit_code, "1.355"),
    ]))  # fmt: skip
    page = owner.post(f"/finance/reconcile/{MONTH}/declare/", {"file": bad}, follow=True)
    text = page.content.decode()
    assert (
        "未保存" in text and "第 2 行「使用方统一社会信用代码」应为 18 位统一社会信用代码" in text
    )
    assert "第 3 行「金额（元）」不是有效的金额" in text
    assert "第 4 行「金额（元）」应为不小于 0、最多两位小数的金额" in text
    huge = SimpleUploadedFile("huge.csv", (
        "产品编号,使用方统一社会信用代码,金额（元）\n"
        f"{product.code},{shop.consumer.organisation.credit_code},{'9' * 40}\n"
        f"{product.code},{shop.consumer.organisation.credit_code},１２\n"
    ).encode())  # fmt: skip
    text = owner.post(f"/finance/reconcile/{MONTH}/declare/", {"file": huge}, follow=True)
    text = text.content.decode()
    assert "第 2 行「金额（元）」金额过大" in text and "第 3 行「金额（元）」不是有效的金额" in text
    early = owner.post("/finance/reconcile/2001-01/declare/",
                       {"file": SimpleUploadedFile("a.csv", b"x")}, follow=True)  # fmt: skip
    assert "该月收入尚未计算" in early.content.decode()
    garbage = SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not a workbook")
    page = owner.post(f"/finance/reconcile/{MONTH}/declare/", {"file": garbage}, follow=True)
    assert "未保存" in page.content.decode()
    assert not Declaration.objects.exists()
    other = client_for(shop.new_consumer())
    assert (
        other.get(f"/finance/reconcile/{MONTH}/{shop.operator.organisation.pk}/").status_code == 404
    )
