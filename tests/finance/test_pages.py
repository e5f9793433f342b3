"""The finance pages, posted as each role would: a cost survey to an approved MAR, a month of
metered calls to a statement, a remittance from notice to the finance bureau's confirmation —
every form field the templates send is the one the views read, and operators see only their
own figures."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from pdao.core.permissions import Role
from pdao.finance import revenue
from pdao.finance.choices import AllowanceStatus, RemittanceStatus, SurveyStatus
from pdao.finance.models import Allowance, CostSurvey, PricingPeriod, Remittance, RevenueMonth
from pdao.products.choices import Charging
from pdao.products.models import Delivery
from tests.factories import user_with_role
from tests.finance.test_revenue import _calls, _listed

pytestmark = pytest.mark.django_db


def _said(response) -> str:
    """The last message the page shows after a post (earlier posts' messages come first)."""
    return [str(m) for m in response.context["messages"]][-1]


def test_a_cost_survey_to_an_approved_mar_through_the_pages(industry, client_for):
    bureau, owner = client_for(industry.city.bureau), client_for(industry.operator)
    operator = industry.operator.organisation
    response = bureau.post(
        "/finance/periods/open/",
        {"operator": operator.pk, "starts_on": "2025-01-01", "ends_on": "2025-12-31",
         "standard": "trial"},
        follow=True,
    )  # fmt: skip
    period = PricingPeriod.objects.get(operator=operator)
    assert _said(response) == f"已设立定价周期 {period.code}。"
    bad = bureau.post(
        "/finance/periods/open/",
        {"operator": operator.pk, "starts_on": "2026-01-01", "ends_on": "2029-12-31",
         "standard": "formal"},
        follow=True,
    )  # fmt: skip
    assert _said(bad) == "定价周期不能超过 3 年。"
    bureau.post(f"/finance/periods/{period.pk}/survey/", {"year": "2025"})
    survey = CostSurvey.objects.get(period=period)
    url = f"/finance/surveys/{survey.pk}/declare/"
    item = {"category": "staff", "description": "数据治理人员", "amount": "80,000.00",
            "industry_percent": "75"}  # fmt: skip
    assert _said(owner.post(url, item | {"amount": "-1"}, follow=True)) == "申报金额不能为负数。"
    owner.post(url, item)
    owner.post(url, {"category": "subsidy", "description": "数字经济专项补助", "amount": "6000",
                     "industry_percent": "100"})  # fmt: skip
    stranger = client_for(user_with_role(Role.OPERATOR))
    assert stranger.post(url, item).status_code == 404  # not its survey: as if absent
    assert stranger.get(f"/finance/periods/{period.pk}/").status_code == 404
    owner.post(f"/finance/surveys/{survey.pk}/submit/")
    staff = survey.items.get(category="staff")
    bureau.post(
        f"/finance/costs/{staff.pk}/adjust/", {"amount": "72000", "note": "剔除非本项目人员"}
    )
    bureau.post(f"/finance/surveys/{survey.pk}/conclude/")
    survey.refresh_from_db()
    # 72,000 × 75 % − 6,000 = 48,000.
    assert (survey.status, survey.cost_fen) == (SurveyStatus.CONCLUDED, 48_000_00)
    bureau.post("/finance/limits/bond-yield/", {"year": "2024", "percent": "2.21",
                                                 "source": "中国债券信息网"})  # fmt: skip
    proposal = {"survey": survey.pk, "year_index": "1", "profit_rate": "8.22", "tax": "2,880"}
    refused = bureau.post(f"/finance/periods/{period.pk}/allowance/", proposal, follow=True)
    assert _said(refused) == "准许利润率不能超过 8.21。"
    bureau.post(f"/finance/periods/{period.pk}/allowance/", proposal | {"profit_rate": "8.21"})
    allowance = Allowance.objects.get(period=period)
    # 48,000 + 48,000 × 8.21 % (3,940.80) + 2,880 = 54,820.80.
    assert allowance.total_fen == 54_820_80
    bureau.post(
        f"/finance/allowances/{allowance.pk}/approve/", {"document": "柳发改价格〔2025〕12号"}
    )
    allowance.refresh_from_db()
    assert allowance.status == AllowanceStatus.APPROVED
    page = owner.get(f"/finance/periods/{period.pk}/").content.decode()
    assert "54,820.80" in page and "柳发改价格〔2025〕12号" in page and "8.21%" in page


def test_metered_calls_to_a_statement_and_a_confirmed_remittance(industry, client_for):
    product = _listed(industry, "0.50", name="按次", charging=Charging.PER_CALL,
                      unit_price=Decimal("0.45"))  # fmt: skip
    assert _calls(industry, product, ["2024-01-01", "2024-02-01", "2024-03-01"]) == [200] * 3
    Delivery.objects.update(created_at=timezone.now().replace(year=2025, month=2, day=10))
    for month in ("2025-01", "2025-02", "2025-03"):
        revenue.compute_month(month)
    assert RevenueMonth.objects.get(month="2025-02").total_fen == 1_35
    finance = user_with_role(Role.FINANCE)
    bureau_of_finance, owner = client_for(finance), client_for(industry.operator)
    consumer = client_for(industry.consumer)
    operator = industry.operator.organisation
    # The statement: Excel rows add up to the month's lines.
    sheet = owner.get(f"/finance/statements/2025-02/operator/{operator.pk}.xlsx")
    assert sheet.status_code == 200
    details = load_workbook(BytesIO(sheet.content))["明细"]
    rows = list(details.iter_rows(min_row=2, values_only=True))
    assert [(r[5], r[6], r[8]) for r in rows] == [("0.45", 3, 1.35)]  # a number, to sum
    own = industry.consumer.organisation.pk
    assert consumer.get(f"/finance/statements/2025-02/consumer/{own}.pdf").status_code == 200
    assert (
        consumer.get(f"/finance/statements/2025-02/operator/{operator.pk}.pdf").status_code == 404
    )
    # The remittance: account, notice, payment, confirmation.
    bureau_of_finance.post("/finance/payee/set/", {
        "payee": "柳州市财政局", "bank": "中国工商银行柳州分行",
        "account_no": "2105001109000012345", "budget_code": "1030199",
        "budget_name": "其他国有资源（资产）有偿使用收入", "days_to_pay": "30",
        "effective_from": "2025-01-01",
    })  # fmt: skip
    issued = bureau_of_finance.post("/finance/remittances/issue/", {"year": "2025", "quarter": "1"},
                                    follow=True)  # fmt: skip
    assert _said(issued) == "已开具缴款通知 1 份。"
    remittance = Remittance.objects.get()
    assert remittance.amount_fen == 14  # 10 % of ¥1.35 = ¥0.135, half up: ¥0.14
    notice = owner.get(f"/finance/remittances/{remittance.pk}/notice.docx")
    assert notice.status_code == 200 and notice.content[:2] == b"PK"
    pay = {"paid_on": date.today().isoformat(), "amount": "0.13", "reference": "ICBC001"}
    url = f"/finance/remittances/{remittance.pk}/pay/"
    assert (
        _said(owner.post(url, pay, follow=True))
        == "缴款金额 0.13 元与缴款通知的应缴金额 0.14 元不符。"
    )
    owner.post(url, pay | {"amount": "0.14"})
    bureau_of_finance.post(f"/finance/remittances/{remittance.pk}/confirm/")
    remittance.refresh_from_db()
    assert remittance.status == RemittanceStatus.CONFIRMED
    page = owner.get(f"/finance/remittances/{remittance.pk}/").content.decode()
    assert "财政已确认" in page and "ICBC001" in page
    overview = bureau_of_finance.get("/finance/").content.decode()
    assert "0.14" in overview and "1.35" in overview
    mine = owner.get("/finance/mine/").content.decode()
    assert remittance.code in mine and "2025-02" in mine
