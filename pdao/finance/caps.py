"""The bureau's caps held against the operator's MAR (registered with `pdao.products.caps`):
the expected yearly revenue — each charged product's cap × its expected yearly volume, rounded
at the product — must not exceed the MAR of the operating year in force."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.finance import documents, money
from pdao.finance.choices import AllowanceStatus
from pdao.finance.models import Allowance
from pdao.products.models import Product


def allowance_in_force(operator_id: int, on=None) -> Allowance | None:
    on = on or timezone.localdate()
    return (
        Allowance.objects.filter(
            period__operator_id=operator_id,
            status=AllowanceStatus.APPROVED,
            starts_on__lte=on,
            ends_on__gte=on,
        )
        .select_related("period")
        .first()
    )


def expected_revenue(product, cap: Decimal | None = None, volume: int | None = None) -> int:
    """The operator's expected yearly revenue in fen, with `product` at `cap` and `volume`."""
    total = 0
    for other in Product.objects.filter(operator_id=product.operator_id, price_cap__isnull=False):
        if other.is_free:
            continue
        if other.pk == product.pk:
            continue
        total += money.line(other.expected_volume, other.price_cap)
    mine_cap = product.price_cap if cap is None else cap
    mine_volume = product.expected_volume if volume is None else volume
    if mine_cap is not None and not product.is_free:
        total += money.line(mine_volume, mine_cap)
    return total


class AgainstAllowance:
    def problem(self, product, cap: Decimal, volume: int) -> str:
        allowance = allowance_in_force(product.operator_id)
        if allowance is None:
            return ""
        expected = expected_revenue(product, cap, volume)
        if expected <= allowance.total_fen:
            return ""
        return _(
            "按各产品上限收费标准和预计年计费量，该运营单位的预计年收入 %(expected)s 元将超过其"
            "最高准许收入 %(mar)s 元（%(code)s 第%(year)s运营年度），请降低上限或预计计费量。"
        ) % {
            "expected": documents.amount(expected),
            "mar": documents.amount(allowance.total_fen),
            "code": allowance.period.code,
            "year": allowance.year_index,
        }

    def outlook(self, product) -> str:
        if product.is_free:
            return ""
        allowance = allowance_in_force(product.operator_id)
        if allowance is None:
            return _("该运营单位尚无生效的最高准许收入。")
        expected = expected_revenue(product)
        share = (Decimal(expected) * 100 / allowance.total_fen).quantize(Decimal("0.1"))
        return _(
            "各产品上限 × 预计年计费量合计 %(expected)s 元，最高准许收入 %(mar)s 元"
            "（%(code)s 第%(year)s运营年度），占 %(share)s%%。"
        ) % {
            "expected": documents.amount(expected),
            "mar": documents.amount(allowance.total_fen),
            "code": allowance.period.code,
            "year": allowance.year_index,
            "share": share,
        }
