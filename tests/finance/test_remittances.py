"""上缴部分收益: a quarter's remittance recomputed by hand from its revenue lines, the notice and
its ledger anchor, the operator's payment (only the exact amount), the finance bureau's single
confirmation, overdue chasing and the budget allocations it pays for."""

import threading
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.core import papers
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.finance import remittances
from pdao.finance.choices import BudgetCategory, RemittanceStatus
from pdao.finance.models import BudgetAllocation, Remittance, RevenueMonth
from pdao.ledger.models import LedgerEntry
from pdao.notifications.models import Notification
from tests.factories import user_with_role
from tests.finance.test_revenue import _year_of_lines

pytestmark = pytest.mark.django_db
QUARTER = ["2025-01", "2025-02", "2025-03"]


@pytest.fixture
def finance_user(db):
    return user_with_role(Role.FINANCE)


def _payee(by, **overrides):
    fields = {
        "payee": "柳州市财政局", "bank": "中国工商银行柳州分行",
        "account_no": "2105 0011 0900 0012 345", "budget_code": "1030199",
        "budget_name": "其他国有资源（资产）有偿使用收入", "days_to_pay": "30",
        "effective_from": date(2025, 1, 1),
    }  # fmt: skip
    return remittances.set_payee(by=by, **{**fields, **overrides})


def _notified(industry, finance_user, monthly_fen=1_234_55):
    _year_of_lines(industry, monthly_fen, QUARTER)
    _payee(finance_user)
    (remittance,) = remittances.issue_notices(by=finance_user, year=2025, quarter=1)
    return remittance


def test_the_amount_is_the_agreements_share_of_the_quarter_rounded_once(industry, finance_user):
    remittance = _notified(industry, finance_user)
    assert industry.authorization.agreement.terms["revenue_share_percent"] == "10"
    # 3 × ¥1,234.55 = ¥3,703.65; 10 % = ¥370.365, rounded half up to ¥370.37.
    assert (remittance.revenue_fen, remittance.amount_fen) == (3_703_65, 370_37)
    assert remittance.authorization == industry.authorization
    assert remittance.due_on == timezone.localdate() + timedelta(days=30)
    assert remittance.code.startswith(f"LZ-RM-{timezone.localdate().year}-")
    assert (remittance.payee, remittance.budget_code) == ("柳州市财政局", "1030199")
    entry = LedgerEntry.objects.get(type="finance.remittance.issue")
    assert entry.content_hash == remittance.notice_sha256 == remittances.notice_digest(remittance)
    assert Notification.objects.filter(
        recipient=industry.operator, subject__contains="370.37"
    ).exists()
    # Issuing again adds nothing: the quarter is notified.
    assert remittances.issue_notices(by=finance_user, year=2025, quarter=1) == []
    assert remittances.problems() == []


def test_the_notice_says_the_amount_account_and_due_day_in_word_and_pdf(industry, finance_user):
    from docx import Document

    remittance = _notified(industry, finance_user)
    text = "\n".join(
        p.text for p in Document(BytesIO(papers.docx(remittances.notice(remittance)))).paragraphs
    )
    assert "2025年第1季度" in text and "中国工商银行柳州分行" in text
    assert remittance.due_on.isoformat() in text and remittance.notice_sha256 in text
    table = Document(BytesIO(papers.docx(remittances.notice(remittance)))).tables[0]
    assert [c.text for c in table.rows[1].cells] == ["3,703.65", "10%", "370.37"]
    assert papers.pdf(remittances.notice(remittance)).startswith(b"%PDF")


def test_notices_wait_for_the_quarters_end_its_months_and_an_account(industry, finance_user):
    with pytest.raises(RuleViolation, match="尚未结束"):
        remittances.issue_notices(by=finance_user, year=timezone.localdate().year + 1, quarter=1)
    _year_of_lines(industry, 100_00, QUARTER[:2])
    with pytest.raises(RuleViolation, match="2025-03"):
        remittances.issue_notices(by=finance_user, year=2025, quarter=1)
    RevenueMonth.objects.create(month="2025-03", lines=0, total_fen=0)
    with pytest.raises(RuleViolation, match="收缴账户"):
        remittances.issue_notices(by=finance_user, year=2025, quarter=1)
    with pytest.raises(RuleViolation, match="账号应由数字组成"):
        _payee(finance_user, account_no="ICBC-1")
    with pytest.raises(RuleViolation, match="1 至 90"):
        _payee(finance_user, days_to_pay="0")
    with pytest.raises(RuleViolation, match="没有执行此操作的权限"):
        _payee(industry.city.bureau)  # the finance bureau's account, set by the finance bureau
    assert not Remittance.objects.exists()


def test_a_payment_must_be_the_exact_amount_by_the_operator_itself(industry, finance_user):
    remittance = _notified(industry, finance_user)
    today = timezone.localdate()
    with pytest.raises(
        RuleViolation, match=r"缴款金额 370\.36 元与缴款通知的应缴金额 370\.37 元不符"
    ):
        remittances.record_payment(by=industry.operator, remittance=remittance, paid_on=today,
                                   amount="370.36", reference="X1")  # fmt: skip
    with pytest.raises(RuleViolation, match="缴款金额不能为负数"):
        remittances.record_payment(by=industry.operator, remittance=remittance, paid_on=today,
                                   amount="-370.37", reference="X1")  # fmt: skip
    with pytest.raises(RuleViolation, match="缴款金额不是有效的金额"):
        remittances.record_payment(by=industry.operator, remittance=remittance, paid_on=today,
                                   amount="三百七十", reference="X1")  # fmt: skip
    with pytest.raises(RuleViolation, match="缴款日期"):
        remittances.record_payment(by=industry.operator, remittance=remittance,
                                   paid_on=today + timedelta(days=1), amount="370.37",
                                   reference="X1")  # fmt: skip
    for odd, reason in (
        ("9" * 40, "金额过大"),
        ("３７０.３７", "不是有效的金额"),
        ("٣٧٠.٣٧", "不是有效的金额"),
        ("1e3", "不是有效的金额"),
    ):
        with pytest.raises(RuleViolation, match=reason):  # found by the attacker (stop 28)
            remittances.record_payment(by=industry.operator, remittance=remittance,
                                       paid_on=today, amount=odd, reference="X1")  # fmt: skip
    stranger = user_with_role(Role.OPERATOR)
    with pytest.raises(RuleViolation, match="本单位"):
        remittances.record_payment(by=stranger, remittance=remittance, paid_on=today,
                                   amount="370.37", reference="X1")  # fmt: skip
    with pytest.raises(RuleViolation, match="不能进行此操作"):
        remittances.confirm(by=finance_user, remittance=remittance)  # not paid yet
    remittance.refresh_from_db()
    assert remittance.status == RemittanceStatus.NOTIFIED and remittance.paid_at is None
    remittances.record_payment(by=industry.operator, remittance=remittance, paid_on=today,
                               amount="370.37", reference="ICBC20250415001")  # fmt: skip
    confirmed = remittances.confirm(by=finance_user, remittance=remittance)
    assert confirmed.status == RemittanceStatus.CONFIRMED
    with pytest.raises(RuleViolation, match="财政已确认"):
        remittances.confirm(by=finance_user, remittance=remittance)
    assert AuditEvent.objects.filter(action="finance.remittance.confirm").count() == 1
    assert LedgerEntry.objects.filter(type="finance.remittance.confirm").count() == 1


def test_finance_verify_fails_when_a_remittance_is_altered(industry, finance_user):
    remittance = _notified(industry, finance_user)
    assert remittances.problems() == []  # (the lines here are planted, not metered: see there)
    Remittance.objects.filter(pk=remittance.pk).update(amount_fen=300_00)
    with pytest.raises(CommandError, match=r"holds revenue/amount \(370365, 30000\)"):
        call_command("finance_verify")
    Remittance.objects.filter(pk=remittance.pk).update(amount_fen=370_37, account_no="9999")
    with pytest.raises(CommandError, match="notice content differs from its hash"):
        call_command("finance_verify")


def test_an_overdue_remittance_is_chased_once_a_week(industry, finance_user):
    remittance = _notified(industry, finance_user)
    due = remittance.due_on
    assert remittances.chase_overdue(today=due) == []  # due today: not yet overdue
    assert [r.pk for r in remittances.chase_overdue(today=due + timedelta(days=1))] == [
        remittance.pk
    ]
    assert remittances.chase_overdue(today=due + timedelta(days=7)) == []
    assert len(remittances.chase_overdue(today=due + timedelta(days=8))) == 1
    remittance.refresh_from_db()
    assert (remittance.chased, remittance.last_chased_on) == (2, due + timedelta(days=8))
    assert (
        Notification.objects.filter(recipient=industry.operator, subject__startswith="催缴").count()
        == 2
    )
    assert remittance.overdue(due + timedelta(days=1)) and not remittance.overdue(due)


def test_allocations_spend_no_more_than_was_confirmed(industry, finance_user):
    remittance = _notified(industry, finance_user)
    with pytest.raises(RuleViolation, match=r"只有 0\.00 元"):
        remittances.allocate(by=finance_user, year=2025, category=BudgetCategory.BASE,
                             amount="100", document="柳财预〔2025〕8号")  # fmt: skip
    remittances.record_payment(by=industry.operator, remittance=remittance,
                               paid_on=timezone.localdate(), amount="370.37",
                               reference="R1")  # fmt: skip
    remittances.confirm(by=finance_user, remittance=remittance)
    remittances.allocate(by=finance_user, year=2025, category=BudgetCategory.BASE,
                         amount="300", document="柳财预〔2025〕8号")  # fmt: skip
    with pytest.raises(RuleViolation, match="请说明用途"):
        remittances.allocate(by=finance_user, year=2025, category=BudgetCategory.OTHER,
                             amount="10", document="柳财预〔2025〕9号")  # fmt: skip
    with pytest.raises(RuleViolation, match=r"只有 70\.37 元"):
        remittances.allocate(by=finance_user, year=2025, category=BudgetCategory.SMART_CITY,
                             amount="70.38", document="柳财预〔2025〕9号")  # fmt: skip
    remittances.allocate(by=finance_user, year=2025, category=BudgetCategory.SMART_CITY,
                         amount="70.37", document="柳财预〔2025〕9号")  # fmt: skip
    assert remittances.allocated_total(2025) == remittances.confirmed_total(2025) == 370_37
    assert BudgetAllocation.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="threads need a server database")
def test_concurrent_confirmations_record_the_receipt_once(industry, finance_user):
    remittance = _notified(industry, finance_user)
    remittances.record_payment(by=industry.operator, remittance=remittance,
                               paid_on=timezone.localdate(), amount="370.37",
                               reference="R1")  # fmt: skip
    start, outcomes = threading.Barrier(4), []

    def confirm():
        try:
            start.wait()
            remittances.confirm(by=finance_user, remittance=remittance)
            outcomes.append("confirmed")
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["confirmed", "refused", "refused", "refused"]
    assert AuditEvent.objects.filter(action="finance.remittance.confirm").count() == 1
    assert connection.vendor == "postgresql"
    assert Decimal(remittance.share_percent) == Decimal("10")
