"""The revenue ledger (单独核算): each month's revenue lines computed from the delivery records.

A charged call is an answered gateway call or report download (status 200) under a
subscription; its price is the subscription's plan (plans are never edited: a new price is a
new plan), at the tier the call's number in the month reached (`money.price_month`). A monthly
plan's fee falls on the subscription's first day and each monthly anniversary. 公益 products
are free and make no line. Lines of a month are recomputed whole, so computing twice gives the
same lines; `verify_month` recomputes and lists every line that differs from the stored one.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.audit import services as audit
from pdao.core.calendar import add_months
from pdao.core.identity import SCHEDULER
from pdao.finance import actions, money
from pdao.finance.models import RevenueLine, RevenueMonth
from pdao.products.choices import Charging
from pdao.products.models import Delivery, Subscription


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first instant of `month` (YYYY-MM, local time) and of the month after."""
    first = date.fromisoformat(f"{month}-01")
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(add_months(first, 1), time.min, tzinfo=zone),
    )


@dataclasses.dataclass(frozen=True)
class Line:
    """A revenue line as computed, before it is stored (the fields `verify_month` compares)."""

    subscription_id: int
    source: str
    unit_price: Decimal
    calls: int
    quantity: Decimal
    amount_fen: int

    @property
    def key(self) -> tuple:
        return (self.subscription_id, self.source, self.unit_price)


def compute(month: str) -> tuple[list[Line], dict[int, Subscription]]:
    """The month's lines from the records, and the subscriptions they belong to."""
    start, end = month_bounds(month)
    rows: dict[int, list[int]] = {}
    charged = (
        Delivery.objects.filter(
            created_at__gte=start, created_at__lt=end, status=200, subscription__isnull=False
        )
        .order_by("created_at", "pk")
        .values_list("subscription_id", "rows")
    )
    for subscription_id, count in charged:
        rows.setdefault(subscription_id, []).append(count)
    first, last = start.date(), (end - timedelta(days=1)).date()
    monthly = Subscription.objects.filter(
        plan__charging=Charging.MONTHLY, starts_on__lte=last, ends_on__gte=first
    ).values_list("pk", flat=True)
    subscriptions = Subscription.objects.select_related("plan", "product").in_bulk(
        set(rows) | set(monthly)
    )
    lines = []
    for pk, subscription in sorted(subscriptions.items()):
        plan, product = subscription.plan, subscription.product
        if product.is_free:
            continue
        for priced in money.price_month(
            plan.charging, plan.unit_price, plan.tiers, rows.get(pk, [])
        ):
            lines.append(
                Line(pk, RevenueLine.Source.CALLS, priced.unit_price, priced.calls,
                     priced.quantity, priced.amount)
            )  # fmt: skip
        fees = (
            money.monthly_fees_due(subscription.starts_on, subscription.ends_on, month)
            if plan.charging == Charging.MONTHLY
            else 0
        )
        if fees:
            fee = Decimal(plan.monthly_fee)
            lines.append(
                Line(pk, RevenueLine.Source.MONTHLY_FEE, fee, len(rows.get(pk, [])),
                     Decimal(fees), money.line(fees, fee))
            )  # fmt: skip
    return lines, subscriptions


@transaction.atomic
def compute_month(month: str, *, by=SCHEDULER) -> list[RevenueLine]:
    """Store the month's lines, replacing any computed before (the month is recomputed whole);
    the scheduler does this after each month, a person or the command line on demand."""
    lines, subscriptions = compute(month)
    RevenueLine.objects.filter(month=month).delete()
    stored = []
    for line in lines:
        subscription = subscriptions[line.subscription_id]
        product = subscription.product
        stored.append(
            RevenueLine(
                month=month, operator_id=product.operator_id,
                consumer_id=subscription.consumer_id, product=product, subscription=subscription,
                purpose=product.purpose, source=line.source, charging=subscription.plan.charging,
                unit_price=line.unit_price, calls=line.calls, quantity=line.quantity,
                amount_fen=line.amount_fen,
            )
        )  # fmt: skip
    stored = RevenueLine.objects.bulk_create(stored)
    total = sum(line.amount_fen for line in stored)
    record, _created = RevenueMonth.objects.update_or_create(
        month=month, defaults={"lines": len(stored), "total_fen": total}
    )
    audit.record(
        actions.REVENUE_COMPUTE,
        by=by,
        target=record,
        summary=_("计算 %(month)s 收入明细：%(lines)s 条，合计 %(total)s 元")
        % {"month": month, "lines": len(stored), "total": f"{money.yuan(total):,}"},
    )
    return stored


def verify_month(month: str) -> list[str]:
    """Every difference between the stored lines of `month` and the lines recomputed from the
    records, one sentence each (English: the command line's); empty when they agree."""
    expected = {line.key: line for line in compute(month)[0]}
    problems = []
    record = RevenueMonth.objects.filter(month=month).first()
    held = RevenueLine.objects.filter(month=month)
    count, total = held.count(), sum(held.values_list("amount_fen", flat=True))
    if record is None:
        problems.append(f"{month}: lines stored without the month being computed")
    elif (record.lines, record.total_fen) != (count, total):
        problems.append(
            f"{month}: computed {record.lines} lines totalling {record.total_fen} fen, "
            f"{count} lines totalling {total} fen are stored"
        )
    for stored in RevenueLine.objects.filter(month=month):
        key = (stored.subscription_id, stored.source, stored.unit_price)
        line = expected.pop(key, None)
        if line is None:
            problems.append(f"{month}: line {stored.pk} has no charged calls behind it")
            continue
        found = (stored.calls, stored.quantity, stored.amount_fen)
        if found != (line.calls, line.quantity, line.amount_fen):
            problems.append(
                f"{month}: line {stored.pk} holds calls/quantity/amount {found}, "
                f"the records give {(line.calls, line.quantity, line.amount_fen)}"
            )
    for line in expected.values():
        problems.append(
            f"{month}: subscription {line.subscription_id} at {line.unit_price} has no line"
        )
    return problems
