"""收益驾驶舱: revenue by month and operator, the use of each operator's MAR, remittances due
and confirmed, and budget allocations — in the figure format of the supervision dashboard
(`pdao.supervision.dashboard`, drawn by static/pdao/dashboard.js), every value linking to the
records behind it. Amounts are yuan: a number for the chart, the formatted text for the table.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.finance import documents, money, services
from pdao.finance.choices import AllowanceStatus, BudgetCategory, RemittanceStatus
from pdao.finance.models import Allowance, BudgetAllocation, Remittance, RevenueLine, RevenueMonth
from pdao.supervision.dashboard import _tabled, _url

MONTHS = 12


def _point(label, amount_fen: int, url: str) -> dict:
    return {
        "label": str(label),
        "value": float(money.yuan(amount_fen)),
        "text": documents.amount(amount_fen),
        "url": url,
    }


def figures() -> dict:
    today = timezone.localdate()
    year = today.year
    return {
        "cards": _cards(year, today),
        "figures": [
            _tabled(f)
            for f in (
                _by_month(),
                _by_operator(),
                _allowance_use(today),
                _remittances(),
                _allocations(),
            )
        ],
        "year": year,
    }


def _cards(year: int, today) -> list[dict]:
    revenue = RevenueLine.objects.filter(month__startswith=f"{year}-")
    outstanding = Remittance.objects.exclude(status=RemittanceStatus.CONFIRMED)
    overdue = Remittance.objects.filter(status=RemittanceStatus.NOTIFIED, due_on__lt=today)
    confirmed = Remittance.objects.filter(status=RemittanceStatus.CONFIRMED)

    def total(rows) -> str:
        return documents.amount(rows.aggregate(t=Sum("amount_fen"))["t"] or 0)

    return [
        {
            "label": _("%(year)s年收入（元）") % {"year": year},
            "value": total(revenue),
            "url": _url("finance:revenue_list"),
            "tone": "",
        },
        {
            "label": _("待缴及待确认的上缴收益（元）"),
            "value": total(outstanding),
            "url": _url("finance:remittance_list"),
            "tone": "",
        },
        {
            "label": _("逾期未缴（笔）"),
            "value": overdue.count(),
            "url": _url("finance:remittance_list", status="overdue"),
            "tone": "bad",
        },
        {
            "label": _("财政已确认收缴（元）"),
            "value": total(confirmed),
            "url": _url("finance:remittance_list", status=RemittanceStatus.CONFIRMED),
            "tone": "",
        },
        {
            "label": _("已安排预算（元）"),
            "value": total(BudgetAllocation.objects.all()),
            "url": _url("finance:budget"),
            "tone": "",
        },
    ]


def _by_month() -> dict:
    months = list(RevenueMonth.objects.order_by("-month")[:MONTHS])[::-1]
    return {
        "id": "months",
        "title": _("月度收入（元）"),
        "kind": "bar",
        "series": [
            {
                "name": _("收入"),
                "points": [
                    _point(m.month, m.total_fen, _url("finance:revenue_list", month=m.month))
                    for m in months
                ],
            }
        ],
    }


def _by_operator() -> dict:
    """The operators' revenue over the months of the monthly chart (the last 12 computed)."""
    months = list(RevenueMonth.objects.order_by("-month").values_list("month", flat=True)[:MONTHS])
    rows = (
        RevenueLine.objects.filter(month__in=months)
        .values("operator", "operator__name")
        .annotate(total=Sum("amount_fen"))
        .order_by("total")
    )
    return {
        "id": "operators",
        "title": _("近 %(n)s 个月各运营单位收入（元）") % {"n": MONTHS},
        "kind": "hbar",
        "series": [
            {
                "name": _("收入"),
                "points": [
                    _point(
                        r["operator__name"],
                        r["total"],
                        _url("finance:revenue_list", operator=r["operator"]),
                    )
                    for r in rows
                ],
            }
        ],
    }


def _allowance_use(today) -> dict:
    """Each operator's operating year in course (or last): its MAR and its revenue so far."""
    current = (
        Allowance.objects.filter(status=AllowanceStatus.APPROVED, starts_on__lte=today)
        .select_related("period__operator")
        .order_by("period__operator__name", "-starts_on")
    )
    seen, mar, actual = set(), [], []
    for allowance in current:
        operator = allowance.period.operator
        if operator.pk in seen:
            continue
        seen.add(operator.pk)
        months = services.months_of(allowance.starts_on, min(allowance.ends_on, today))
        earned = (
            RevenueLine.objects.filter(operator=operator, month__in=months).aggregate(
                t=Sum("amount_fen")
            )["t"]
            or 0
        )
        url = _url("finance:period_detail", args=[allowance.period_id])
        mar.append(_point(operator.name, allowance.total_fen, url))
        actual.append(_point(operator.name, earned, url))
    return {
        "id": "allowance",
        "title": _("最高准许收入使用情况（元）"),
        "kind": "bar",
        "series": [
            {"name": _("最高准许收入"), "points": mar},
            {"name": _("本年度已实现收入"), "points": actual},
        ],
    }


def _remittances() -> dict:
    quarters = defaultdict(lambda: [0, 0])
    rows = Remittance.objects.values("year", "quarter").annotate(
        due=Sum("amount_fen"), confirmed=Sum("amount_fen", filter=Q(status="confirmed"))
    )
    for r in rows:
        quarters[(r["year"], r["quarter"])] = [r["due"] or 0, r["confirmed"] or 0]
    keys = sorted(quarters)[-8:]

    def label(key):
        return _("%(year)s年Q%(q)s") % {"year": key[0], "q": key[1]}

    return {
        "id": "remittances",
        "title": _("收益上缴：应缴与已确认（元）"),
        "kind": "bar",
        "series": [
            {
                "name": _("应缴"),
                "points": [
                    _point(label(k), quarters[k][0], _url("finance:remittance_list", year=k[0]))
                    for k in keys
                ],
            },
            {
                "name": _("财政已确认"),
                "points": [
                    _point(
                        label(k),
                        quarters[k][1],
                        _url("finance:remittance_list", year=k[0], status="confirmed"),
                    )
                    for k in keys
                ],
            },
        ],
    }


def _allocations() -> dict:
    totals = dict(BudgetAllocation.objects.values_list("category").annotate(t=Sum("amount_fen")))
    return {
        "id": "budget",
        "title": _("预算安排（元）"),
        "kind": "pie",
        "series": [
            {
                "name": _("预算安排"),
                "points": [
                    _point(label, totals.get(value, 0), _url("finance:budget"))
                    for value, label in BudgetCategory.choices
                ],
            }
        ],
    }
