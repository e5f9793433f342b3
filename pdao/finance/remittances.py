"""上缴部分收益: each authorization's share of its quarter's revenue, from notice to the finance
bureau's confirmation, and how the finance bureau budgets it back (预算安排) — the plan's loop.

The amount is computed, never typed: the revenue lines of the authorization's products in the
quarter's three months (all computed first), times the revenue share of its agreement, rounded
half up once. The notice copies the payee account in force and states the due day; the operator
records the payment, which must be exactly the amount; the finance bureau confirms it once.
A notified remittance past its due day is overdue and is chased (an in-app message and mail to
the operator) at most once a week by the monthly task or on demand.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.audit import services as audit
from pdao.authorization.models import Authorization
from pdao.core import papers
from pdao.core.codes import next_code
from pdao.core.identity import SCHEDULER
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, require
from pdao.finance import actions, documents, money
from pdao.finance.choices import BudgetCategory, RemittanceStatus
from pdao.finance.models import (
    BudgetAllocation,
    PayeeAccount,
    Remittance,
    RevenueLine,
    RevenueMonth,
)
from pdao.finance.services import typed_amount
from pdao.ledger.entry import canonical
from pdao.ledger.services import anchor
from pdao.notifications.services import holders, members, notify

CHASE_EVERY = timedelta(days=7)


def share_of(authorization: Authorization) -> Decimal:
    """The revenue share (percent) the authorization's agreement holds; 0 for 公益 use."""
    return Decimal(str(authorization.agreement.terms.get("revenue_share_percent") or "0"))


@dataclasses.dataclass(frozen=True)
class Due:
    authorization: Authorization
    revenue_fen: int
    share_percent: Decimal

    @property
    def amount_fen(self) -> int:
        return money.share(self.revenue_fen, self.share_percent)


def revenue_of(authorization_id: int, months: list[str]) -> int:
    lines = RevenueLine.objects.filter(product__authorization_id=authorization_id, month__in=months)
    return lines.aggregate(total=Sum("amount_fen"))["total"] or 0


def dues(year: int, quarter: int) -> list[Due]:
    """What each authorization with revenue in the quarter owes, before any notice."""
    months = money.quarter(year, quarter)[2]
    ids = (
        RevenueLine.objects.filter(month__in=months)
        .values_list("product__authorization_id", flat=True)
        .distinct()
    )
    found = []
    for authorization in (
        Authorization.objects.filter(pk__in=set(ids))
        .select_related("agreement", "operator")
        .order_by("code")
    ):
        found.append(
            Due(authorization, revenue_of(authorization.pk, months), share_of(authorization))
        )
    return found


def payee_in_force(on: date) -> PayeeAccount | None:
    return PayeeAccount.objects.filter(effective_from__lte=on).order_by("-effective_from").first()


@transaction.atomic
def set_payee(
    *, by, payee: str, bank: str, account_no: str, budget_code: str, budget_name: str,
    days_to_pay, effective_from: date,
) -> PayeeAccount:  # fmt: skip
    """The finance bureau's account, budget classification and days to pay, from a day on."""
    require(by, Perm.FINANCE_COLLECT)
    fields = {
        "payee": payee.strip(), "bank": bank.strip(), "account_no": account_no.strip(),
        "budget_code": budget_code.strip(), "budget_name": budget_name.strip(),
    }  # fmt: skip
    if not all(fields.values()):
        raise RuleViolation(_("请填写收款单位、开户银行、账号和预算科目。"))
    if not fields["account_no"].replace(" ", "").isdigit():
        raise RuleViolation(_("账号应由数字组成。"))
    try:
        days = int(str(days_to_pay).strip())
    except ValueError:
        raise RuleViolation(_("缴款期限应为 1 至 90 天。")) from None
    if not 1 <= days <= 90:
        raise RuleViolation(_("缴款期限应为 1 至 90 天。"))
    if PayeeAccount.objects.filter(effective_from=effective_from).exists():
        raise RuleViolation(_("这一天已有启用的收缴账户；如需更正，请改用其他启用日期。"))
    made = PayeeAccount.objects.create(
        **fields, days_to_pay=days, effective_from=effective_from, created_by=by
    )
    audit.record(
        actions.PAYEE_SET,
        by=by,
        target=made,
        summary=_("设定收缴账户：%(payee)s %(bank)s，预算科目 %(code)s，自 %(date)s 起")
        % {
            "payee": made.payee,
            "bank": made.bank,
            "code": made.budget_code,
            "date": effective_from.isoformat(),
        },
    )
    return made


def notice_terms(remittance: Remittance) -> dict:
    """The notice's content in canonical form: its SHA-256 goes on the ledger."""
    return {
        "code": remittance.code,
        "operator": {
            "name": remittance.operator.name,
            "credit_code": remittance.operator.credit_code,
        },
        "authorization": remittance.authorization.code,
        "quarter": f"{remittance.year}Q{remittance.quarter}",
        "revenue_fen": remittance.revenue_fen,
        "share_percent": f"{remittance.share_percent.normalize():f}",
        "amount_fen": remittance.amount_fen,
        "due_on": remittance.due_on.isoformat(),
        "payee": {
            "name": remittance.payee,
            "bank": remittance.bank,
            "account_no": remittance.account_no,
            "budget_code": remittance.budget_code,
            "budget_name": remittance.budget_name,
        },
    }


def notice_digest(remittance: Remittance) -> str:
    return hashlib.sha256(canonical(notice_terms(remittance))).hexdigest()


@transaction.atomic
def issue_notices(*, by, year: int, quarter: int) -> list[Remittance]:
    """缴款通知 for every authorization with a share of the quarter's revenue to remit, once the
    quarter is over and its three months are computed; an authorization already notified for
    the quarter is skipped, so issuing again only adds the missing."""
    require(by, Perm.FINANCE_COLLECT)
    if not 1 <= quarter <= 4:
        raise RuleViolation(_("季度应为 1 至 4。"))
    last, months = money.quarter(year, quarter)[1:]
    today = timezone.localdate()
    if last >= today:
        raise RuleViolation(_("%(label)s尚未结束。") % {"label": _quarter_label(year, quarter)})
    computed = set(RevenueMonth.objects.filter(month__in=months).values_list("month", flat=True))
    missing = [m for m in months if m not in computed]
    if missing:
        raise RuleViolation(
            _("以下月份的收入尚未计算：%(months)s。") % {"months": "、".join(missing)}
        )
    payee = payee_in_force(today)
    if payee is None:
        raise RuleViolation(_("请先设定收缴账户和预算科目。"))
    issued = []
    for due in dues(year, quarter):
        authorization = Authorization.objects.select_for_update().get(pk=due.authorization.pk)
        if due.amount_fen <= 0:
            continue
        if Remittance.objects.filter(
            authorization=authorization, year=year, quarter=quarter
        ).exists():
            continue
        remittance = Remittance(
            code=next_code("LZ-RM", Remittance), authorization=authorization,
            operator=authorization.operator, year=year, quarter=quarter,
            revenue_fen=due.revenue_fen, share_percent=due.share_percent,
            amount_fen=due.amount_fen, due_on=today + timedelta(days=payee.days_to_pay),
            payee=payee.payee, bank=payee.bank, account_no=payee.account_no,
            budget_code=payee.budget_code, budget_name=payee.budget_name, issued_by=by,
        )  # fmt: skip
        remittance.notice_sha256 = notice_digest(remittance)
        remittance.save()
        audit.record(
            actions.REMITTANCE_ISSUE,
            by=by,
            target=remittance,
            summary=_("开具缴款通知 %(code)s：%(operator)s %(label)s应缴 %(amount)s 元")
            % {
                "code": remittance.code,
                "operator": remittance.operator.name,
                "label": remittance.label,
                "amount": documents.amount(remittance.amount_fen),
            },
        )
        anchor(
            actions.REMITTANCE_ISSUE, content_hash=remittance.notice_sha256, by=by,
            target=remittance,
        )  # fmt: skip
        notify(
            members(remittance.operator, Role.OPERATOR),
            subject=_("缴款通知 %(code)s：%(label)s应缴 %(amount)s 元，%(due)s 前缴纳")
            % {
                "code": remittance.code,
                "label": remittance.label,
                "amount": documents.amount(remittance.amount_fen),
                "due": remittance.due_on.isoformat(),
            },
            link=reverse("finance:remittance_detail", args=[remittance.pk]),
        )
        issued.append(remittance)
    return issued


def _quarter_label(year: int, quarter: int) -> str:
    return _("%(year)s年第%(quarter)s季度") % {"year": year, "quarter": quarter}


def _locked(remittance: Remittance, status: RemittanceStatus) -> Remittance:
    remittance = Remittance.objects.select_for_update().get(pk=remittance.pk)
    if remittance.status != status:
        raise RuleViolation(
            _("缴款通知 %(code)s 当前为“%(status)s”，不能进行此操作。")
            % {"code": remittance.code, "status": remittance.get_status_display()}
        )
    return remittance


@transaction.atomic
def record_payment(
    *, by, remittance: Remittance, paid_on: date, amount, reference: str
) -> Remittance:
    """The operator's payment: the exact amount of the notice, on a day from the notice's
    issue to today, with the bank's reference."""
    require(by, Perm.FINANCE_DECLARE)
    remittance = _locked(remittance, RemittanceStatus.NOTIFIED)
    if by.organisation_id != remittance.operator_id:
        raise RuleViolation(_("只能登记本单位的缴款。"))
    paid = typed_amount(amount, _("缴款金额"))
    if paid != remittance.amount_fen:
        raise RuleViolation(
            _("缴款金额 %(paid)s 元与缴款通知的应缴金额 %(due)s 元不符。")
            % {
                "paid": documents.amount(paid),
                "due": documents.amount(remittance.amount_fen),
            }
        )
    issued_on = timezone.localdate(remittance.issued_at)
    if not issued_on <= paid_on <= timezone.localdate():
        raise RuleViolation(_("缴款日期应在开具通知之日至今天之间。"))
    reference = reference.strip()
    if not reference:
        raise RuleViolation(_("请填写银行缴款凭证号。"))
    remittance.status = RemittanceStatus.PAID
    remittance.paid_on, remittance.paid_fen = paid_on, paid
    remittance.payment_reference = reference[:60]
    remittance.paid_by, remittance.paid_at = by, timezone.now()
    remittance.save(
        update_fields=["status", "paid_on", "paid_fen", "payment_reference", "paid_by", "paid_at"]
    )
    audit.record(
        actions.REMITTANCE_PAY,
        by=by,
        target=remittance,
        summary=_("登记缴款 %(code)s：%(amount)s 元，凭证号 %(reference)s")
        % {
            "code": remittance.code,
            "amount": documents.amount(paid),
            "reference": remittance.payment_reference,
        },
    )
    notify(
        holders(Role.FINANCE),
        subject=_("%(operator)s已缴款 %(code)s，请确认收款")
        % {"operator": remittance.operator.name, "code": remittance.code},
        link=reverse("finance:remittance_detail", args=[remittance.pk]),
    )
    return remittance


@transaction.atomic
def confirm(*, by, remittance: Remittance) -> Remittance:
    """The finance bureau confirms receipt; a second confirmation, concurrent or later, is
    refused, so the receipt is recorded once."""
    require(by, Perm.FINANCE_COLLECT)
    remittance = _locked(remittance, RemittanceStatus.PAID)
    remittance.status = RemittanceStatus.CONFIRMED
    remittance.confirmed_by, remittance.confirmed_at = by, timezone.now()
    remittance.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit.record(
        actions.REMITTANCE_CONFIRM,
        by=by,
        target=remittance,
        summary=_("确认收款 %(code)s：%(amount)s 元")
        % {"code": remittance.code, "amount": documents.amount(remittance.amount_fen)},
    )
    anchor(
        actions.REMITTANCE_CONFIRM,
        content_hash=remittance.notice_sha256,
        by=by,
        target=remittance,
        subject={"payment_reference": remittance.payment_reference},
    )
    return remittance


@transaction.atomic
def chase_overdue(*, by=SCHEDULER, today: date | None = None) -> list[Remittance]:
    """Remind the operator of each remittance past its due day, at most once a week each."""
    if by is not SCHEDULER:
        require(by, Perm.FINANCE_COLLECT)
    today = today or timezone.localdate()
    chased = []
    overdue = Remittance.objects.select_for_update().filter(
        status=RemittanceStatus.NOTIFIED, due_on__lt=today
    )
    for remittance in overdue.select_related("operator"):
        if remittance.last_chased_on and remittance.last_chased_on > today - CHASE_EVERY:
            continue
        remittance.chased += 1
        remittance.last_chased_on = today
        remittance.save(update_fields=["chased", "last_chased_on"])
        days = (today - remittance.due_on).days
        audit.record(
            actions.REMITTANCE_CHASE,
            by=by,
            target=remittance,
            summary=_("催缴 %(code)s（第%(n)s次，逾期 %(days)s 天）")
            % {"code": remittance.code, "n": remittance.chased, "days": days},
        )
        notify(
            members(remittance.operator, Role.OPERATOR),
            subject=_("催缴：缴款通知 %(code)s 已逾期 %(days)s 天，应缴 %(amount)s 元")
            % {
                "code": remittance.code,
                "days": days,
                "amount": documents.amount(remittance.amount_fen),
            },
            link=reverse("finance:remittance_detail", args=[remittance.pk]),
        )
        chased.append(remittance)
    return chased


def confirmed_total(year: int) -> int:
    held = Remittance.objects.filter(year=year, status=RemittanceStatus.CONFIRMED)
    return held.aggregate(total=Sum("amount_fen"))["total"] or 0


def allocated_total(year: int) -> int:
    held = BudgetAllocation.objects.filter(year=year)
    return held.aggregate(total=Sum("amount_fen"))["total"] or 0


@transaction.atomic
def allocate(
    *, by, year: int, category: BudgetCategory, amount, document: str, note: str = ""
) -> BudgetAllocation:
    """预算安排: part of a year's confirmed remittances budgeted back into the programme; the
    year's allocations never exceed what was confirmed for it."""
    require(by, Perm.FINANCE_COLLECT)
    if category not in BudgetCategory.values:
        raise RuleViolation(_("未知的安排方向。"))
    # Allocations of one year are serialised on its confirmed remittances.
    list(Remittance.objects.select_for_update().filter(year=year).values_list("pk"))
    fen = typed_amount(amount, _("安排金额"))
    if fen <= 0:
        raise RuleViolation(_("安排金额应大于零。"))
    document, note = document.strip(), note.strip()
    if not document:
        raise RuleViolation(_("请填写预算文件文号。"))
    if category == BudgetCategory.OTHER and not note:
        raise RuleViolation(_("安排方向为“其他”时请说明用途。"))
    left = confirmed_total(year) - allocated_total(year)
    if fen > left:
        raise RuleViolation(
            _("%(year)s 年已确认收缴但未安排的收益只有 %(left)s 元。")
            % {"year": year, "left": documents.amount(max(left, 0))}
        )
    made = BudgetAllocation.objects.create(
        year=year, category=category, amount_fen=fen, document=document[:100], note=note[:300],
        created_by=by,
    )  # fmt: skip
    audit.record(
        actions.BUDGET_ALLOCATE,
        by=by,
        target=made,
        summary=_("登记 %(year)s 年收益预算安排：%(category)s %(amount)s 元（%(document)s）")
        % {
            "year": year,
            "category": made.get_category_display(),
            "amount": documents.amount(fen),
            "document": made.document,
        },
    )
    return made


def notice(remittance: Remittance) -> papers.Paper:
    """缴款通知书 as a paper to render (Word or PDF)."""
    operator = remittance.operator
    return papers.Paper(
        title=_("公共数据授权运营收益缴款通知书"),
        facts=[
            (_("通知编号"), remittance.code),
            (_("缴款单位"), f"{operator.name}（{operator.credit_code}）"),
            (_("授权编号"), remittance.authorization.code),
            (_("所属期间"), remittance.label),
            (_("开具日期"), timezone.localdate(remittance.issued_at).isoformat()),
        ],
        sections=[
            papers.Section(
                _("一、应缴金额"),
                [
                    _(
                        "根据授权运营协议约定的收益上缴比例，按平台收入台账核算，"
                        "你单位%(label)s应上缴收益如下。"
                    )
                    % {"label": remittance.label}
                ],
                (_("季度收入（元）"), _("上缴比例"), _("应缴金额（元）")),
                [
                    (
                        money.yuan(remittance.revenue_fen),
                        f"{remittance.share_percent.normalize():f}%",
                        money.yuan(remittance.amount_fen),
                    )
                ],
                sheet=_("应缴金额"),
            ),
            papers.Section(
                _("二、缴款方式"),
                [
                    _("收款单位：%(payee)s") % {"payee": remittance.payee},
                    _("开户银行：%(bank)s") % {"bank": remittance.bank},
                    _("账号：%(account)s") % {"account": remittance.account_no},
                    _("预算科目：%(code)s %(name)s")
                    % {"code": remittance.budget_code, "name": remittance.budget_name},
                    _("请于 %(due)s 前足额缴纳，并在平台登记缴款日期和银行凭证号。")
                    % {"due": remittance.due_on.isoformat()},
                ],
            ),
        ],
        footer=_("本通知内容的 SHA-256 已存证于区块链：%(hash)s")
        % {"hash": remittance.notice_sha256},
    )


def problems() -> list[str]:
    """Each remittance recomputed from the revenue lines and its notice's content (for
    `finance_verify`); empty when all agree."""
    found = []
    for remittance in Remittance.objects.select_related("authorization__agreement", "operator"):
        months = money.quarter(remittance.year, remittance.quarter)[2]
        revenue = revenue_of(remittance.authorization_id, months)
        amount = money.share(revenue, remittance.share_percent)
        if (remittance.revenue_fen, remittance.amount_fen) != (revenue, amount):
            found.append(
                f"remittance {remittance.code}: holds revenue/amount "
                f"{(remittance.revenue_fen, remittance.amount_fen)}, "
                f"the revenue lines give {(revenue, amount)}"
            )
        if remittance.share_percent != share_of(remittance.authorization):
            found.append(f"remittance {remittance.code}: share differs from its agreement")
        if notice_digest(remittance) != remittance.notice_sha256:
            found.append(f"remittance {remittance.code}: notice content differs from its hash")
    return found
