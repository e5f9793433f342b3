"""The 31 March report: generated from the records as Word and Excel, its figures the sums of
the revenue lines and the closed year, filed once with both files' hashes on the ledger."""

from datetime import date
from io import BytesIO

import pytest
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from pdao.core.rules import RuleViolation
from pdao.finance import report
from pdao.finance import services as finance
from pdao.finance.choices import CostCategory, Standard
from pdao.finance.models import AnnualReport
from pdao.ledger.models import LedgerEntry
from tests.finance.test_revenue import _year_of_lines

pytestmark = pytest.mark.django_db


def _closed_2025(shop):
    bureau, owner = shop.city.bureau, shop.operator
    operator = _year_of_lines(shop, 9_800_00, [f"2025-{m:02d}" for m in range(1, 13)])
    period = finance.open_period(by=bureau, operator=operator, starts_on=date(2025, 1, 1),
                                 ends_on=date(2027, 12, 31), standard=Standard.FORMAL)  # fmt: skip
    survey = finance.start_survey(by=bureau, period=period, year=2025)
    finance.declare_cost(by=owner, survey=survey, category=CostCategory.STAFF,
                         description="人员", amount="100000", industry_percent="100")  # fmt: skip
    finance.submit_survey(by=owner, survey=survey)
    finance.conclude_survey(by=bureau, survey=survey)
    finance.record_bond_yield(by=bureau, year=2024, percent="2.0", source="中国债券信息网")
    allowance = finance.propose_allowance(by=bureau, survey=survey, year_index=1,
                                          profit_rate="5", tax="0")  # fmt: skip
    finance.approve_allowance(by=bureau, allowance=allowance, document="柳发改价格〔2025〕3号")
    return finance.close_year(by=bureau, allowance=allowance), operator


def test_the_report_adds_up_to_the_records_and_is_filed_once(industry):
    bureau = industry.city.bureau
    operator = _closed_2025(industry)[1]
    with pytest.raises(RuleViolation, match="尚未结束"):
        report.generate(by=bureau, year=timezone.localdate().year)
    made = report.generate(by=bureau, year=2025)
    docx = report.path_of(made.docx_sha256, "docx").read_bytes()
    text = "\n".join(p.text for p in Document(BytesIO(docx)).paragraphs)
    assert "2025 年度公共数据授权运营价格与收益情况报告" in text
    assert "收入合计 117,600.00 元" in text and "2026-03-31" in text
    book = load_workbook(report.path_of(made.xlsx_sha256, "xlsx"))
    operators = list(book["运营单位"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3], r[4]) for r in operators] == [(operator.name, 19_600 * 12, 117_600)]
    (year,) = book["成本与最高准许收入"].iter_rows(min_row=2, values_only=True)
    # cost 100,000; MAR 105,000; actual 117,600; profit 17,600; 12 % above: the bureau adjusts.
    assert year[3:9] == (100_000, 0, 105_000, 117_600, 17_600, "12.00%")
    assert year[9] == "数据局调整上限收费标准" and year[10] == 12_600
    filed = report.file_report(by=bureau, report=made, note="数据已核对")
    assert filed.status == AnnualReport.Status.FILED
    anchored = set(
        LedgerEntry.objects.filter(type="finance.report.file").values_list(
            "content_hash", flat=True
        )
    )
    assert anchored == {made.docx_sha256, made.xlsx_sha256}
    with pytest.raises(RuleViolation, match="已报送"):
        report.generate(by=bureau, year=2025)
    with pytest.raises(RuleViolation, match="已报送"):
        report.file_report(by=bureau, report=made)


def test_a_draft_whose_file_was_changed_cannot_be_filed(industry):
    bureau = industry.city.bureau
    made = report.generate(by=bureau, year=2025)
    report.path_of(made.docx_sha256, "docx").write_bytes(b"altered")
    with pytest.raises(RuleViolation, match="重新生成"):
        report.file_report(by=bureau, report=made)
    assert AnnualReport.objects.get().status == AnnualReport.Status.DRAFT


def test_the_bureaus_workbench_counts_down_to_31_march(industry, client_for):
    page = client_for(industry.city.bureau).get("/workbench/")
    items = {str(i.title): i for s in page.context["sections"] for i in s["items"]}
    year = timezone.localdate().year - 1
    item = items[f"{year} 年度价格与收益报告（{year + 1}-03-31 前报送）"]
    left = (date(year + 1, 3, 31) - timezone.localdate()).days
    assert item.count == 1
    assert item.hint == (f"还有 {left} 天" if left >= 0 else f"已逾期 {-left} 天")
