"""Orders and contracts (数据产品交易), on our market (场外) or on an exchange (场内, entered with
the exchange's order number under the same contract, so the platform's figures cover all trade):

    ordered ─ both sign ─▶ signed ─ seller records payment ─▶ payment_recorded
        ─ buyer confirms ─▶ delivered (subscription active) ─ buyer accepts ─▶ settled
    delivered ─ buyer disputes ─▶ disputed ─ bureau resolves ─▶ delivered | refunded
    ordered / signed / payment_recorded ─ either party cancels ─▶ cancelled

A 公益 (free) order goes from signed straight to delivered. The platform moves no money: it
records the bank references both parties give. The contract is canonical JSON (no floats); both
parties sign its SHA-256 with the Ed25519 agreement keys; the contract's and the settlement's
hashes go on the ledger. Every transition takes a row lock and is audited, so two at once (an
acceptance and a dispute) end in exactly one state.

The related-party rule (national implementation rules §6, no re-development of one's own
delivered product): a consumer may not order a product whose operator is itself or in a group of
credit codes the bureau declares related to it.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pdao.accounts import credit_code
from pdao.accounts.choices import OrganisationType
from pdao.audit.services import record
from pdao.authorization import agreements
from pdao.authorization.agreements import PROHIBITED
from pdao.authorization.choices import AuthorizationStatus
from pdao.core.calendar import add_months
from pdao.core.codes import next_code
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, require
from pdao.finance import documents, money
from pdao.finance.services import typed_amount
from pdao.ledger.entry import canonical
from pdao.ledger.services import anchor
from pdao.market import actions, dossier, listings
from pdao.market.choices import Delivery, ListingStatus, OrderStatus, Venue
from pdao.market.models import Listing, Order, OrderSignature, RelatedGroup
from pdao.notifications.services import holders, members, notify
from pdao.products.checks import price_problem
from pdao.products.choices import Charging, ProductStatus, SubscriptionStatus
from pdao.products.models import PricePlan, Product, Subscription

MAX_MONTHS = 36
MAX_QUANTITY = 100_000_000
PAYMENT_DAYS = 15
OPEN = (OrderStatus.ORDERED, OrderStatus.SIGNED, OrderStatus.PAYMENT_RECORDED)


def _link(order: Order) -> str:
    return reverse("market:order_detail", args=[order.code])


def _locked(order: Order, *states: str) -> Order:
    order = Order.objects.select_for_update().select_related("product", "plan").get(pk=order.pk)
    if order.status not in states:
        raise RuleViolation(
            _("订单 %(code)s 当前为“%(state)s”，不能办理此操作。")
            % {"code": order.code, "state": order.get_status_display()}
        )
    return order


def _buyer(order: Order, by) -> None:
    require(by, Perm.PRODUCT_SUBSCRIBE)
    if by.organisation_id != order.consumer_id:
        raise RuleViolation(_("只有买方可以办理此操作。"))


def _seller(order: Order, by) -> None:
    require(by, Perm.PRODUCT_MANAGE)
    if by.organisation_id != order.operator_id:
        raise RuleViolation(_("只有卖方可以办理此操作。"))


def _tradeable(product: Product) -> None:
    """What a product needs to be bought and delivered, checked when an order is placed and
    again at delivery: its authorization in force, not frozen by an emergency action, its
    registration in force."""
    if product.authorization.status != AuthorizationStatus.ACTIVE:
        raise RuleViolation(_("该产品所依据的授权不在有效状态，暂不能交易。"))
    if product.frozen_at is not None:
        raise RuleViolation(_("该产品已被应急冻结，暂不能交易。"))
    if listings.current_registration(product) is None:
        raise RuleViolation(_("该产品未登记或登记已失效，不能交易。"))


# --- Related parties --------------------------------------------------------------------------


def related_codes(code: str) -> set[str]:
    """The credit code and every code the bureau declared related to it."""
    related = {code}
    for group in RelatedGroup.objects.all():
        if code in group.credit_codes:
            related |= set(group.credit_codes)
    return related


def related_party(product: Product, consumer) -> str:
    """Why `consumer` may not take `product` as a related party of its operator, or "". Held
    on orders here and on direct subscriptions (registered with `pdao.products.buyers`)."""
    if product.operator.credit_code in related_codes(consumer.credit_code):
        return _(
            "本单位与该产品的运营单位为同一主体或关联方，不能购买其数据产品（不得对已交付产品再开发）。"
        )
    return ""


@transaction.atomic
def declare_related(*, by, name: str, credit_codes: list[str], reason: str) -> RelatedGroup:
    """The bureau declares organisations related by their 统一社会信用代码."""
    require(by, Perm.PRODUCT_REGULATE)
    codes = sorted({credit_code.normalise(c) for c in credit_codes if c.strip()})
    if len(codes) < 2:
        raise RuleViolation(_("关联方至少包括两个统一社会信用代码。"))
    bad = [c for c in codes if credit_code.check(c)]
    if bad:
        raise RuleViolation(_("统一社会信用代码无效：%(codes)s") % {"codes": "、".join(bad)})
    if not name.strip() or not reason.strip():
        raise RuleViolation(_("请填写关联方名称和认定依据。"))
    group = RelatedGroup.objects.create(
        name=name.strip()[:100], credit_codes=codes, reason=reason.strip()[:1000], declared_by=by
    )
    record(
        actions.RELATED_DECLARE,
        by=by,
        target=group,
        changes={"credit_codes": codes},
        summary=_("认定关联方“%(n)s”：%(codes)s") % {"n": group.name, "codes": "、".join(codes)},
    )
    return group


# --- Placing an order -------------------------------------------------------------------------


def tiered(quantity: int, unit_price: Decimal, tiers: list) -> int:
    """`quantity` units at the plan's prices, its tiers counted over the quantity bought (the
    2,001st call of a package costs what the 2,001st call of a month would), each tier's line
    rounded to the fen.

    >>> tiered(20_000, Decimal("0.45"), [[2001, "0.40"]])  # 2,000 × 0.45 + 18,000 × 0.40
    810000
    >>> tiered(1_500, Decimal("0.45"), [[2001, "0.40"]]), tiered(3, Decimal("0.10"), [])
    (67500, 30)
    """
    bounds = [(1, Decimal(unit_price))] + [(int(s), Decimal(str(p))) for s, p in tiers]
    total = 0
    for (start, price), (end, _next) in zip(bounds, [*bounds[1:], (quantity + 1, 0)], strict=True):
        count = min(end, quantity + 1) - start
        if count > 0:
            total += money.line(count, price)
    return total


def amount_of(plan: PricePlan, *, months: int, quantity: int) -> int:
    """The contract amount in fen: monthly fee × months; calls (per call) or thousands of rows
    (by volume) at the plan's tiered prices; 0 for a free plan."""
    if plan.charging == Charging.FREE:
        return 0
    if plan.charging == Charging.MONTHLY:
        return money.fen(plan.monthly_fee) * months
    return tiered(quantity, plan.unit_price, plan.tiers or [])


def terms_of(order: Order, product: Product, plan: PricePlan) -> dict:
    spec = product.specification
    registration = listings.current_registration(product)
    return {
        "title": "数据产品交易合同",
        "contract_no": order.code,
        "seller": {"name": product.operator.name, "credit_code": product.operator.credit_code},
        "buyer": {"name": order.consumer.name, "credit_code": order.consumer.credit_code},
        "venue": str(Venue(order.venue).label),
        "exchange": order.listing.exchange if order.listing_id else "",
        "exchange_listing_no": order.listing.exchange_listing_no if order.listing_id else "",
        "exchange_order_no": order.exchange_order_no,
        "product": {
            "code": product.code,
            "name": product.name,
            "filing_no": product.filing_no,
            "registration_code": registration.code,
            "registration_valid_until": registration.valid_until.isoformat(),
            "authorization_code": product.authorization.code,
            "authorization_ends_on": product.authorization.ends_on.isoformat(),
        },
        "plan": {
            "name": plan.name,
            "price": dossier.price_text(plan),
            "calls_per_month": plan.calls_per_month,
            "rate_per_minute": plan.rate_per_minute,
        },
        "price_cap": str(product.price_cap) if product.price_cap is not None else "",
        "months": order.months,
        "quantity": order.quantity,
        "amount_fen": order.amount_fen,
        "amount": documents.amount(order.amount_fen),
        "conditions": {
            "use_purpose": spec.use_purpose,
            "use_term": spec.use_term,
            "allowed_users": spec.allowed_users,
            "prohibited": [spec.prohibited, *PROHIBITED],
        },
        "delivery": dossier.label(Delivery, spec.delivery),
        "payment": (
            "公益类数据产品，免费提供，无付款环节。"
            if order.amount_fen == 0
            else f"买方于合同签署后 {PAYMENT_DAYS} 日内以银行转账方式向卖方支付合同金额；"
            "平台登记转账流水号，不经手资金。"
        ),
        "acceptance": "交付后买方验收，验收即结算；对交付有异议的，应在验收前提出争议，"
        "由市数据局协调处理。",
        "placed_on": timezone.localdate().isoformat(),
    }


@transaction.atomic
def place(
    product: Product,
    *,
    by,
    plan: PricePlan,
    months: int,
    quantity: int = 0,
    listing: Listing | None = None,
    exchange_order_no: str = "",
) -> Order:
    """A verified consumer orders a product: off-exchange when it is on our market, or on an
    exchange where it is listed (with that exchange's order number). The contract is drawn up
    at once, ready for both signatures."""
    require(by, Perm.PRODUCT_SUBSCRIBE)
    consumer = by.organisation
    if consumer is None or consumer.type != OrganisationType.CONSUMER:
        raise RuleViolation(_("只有数据使用方可以下单。"))
    if consumer.verified_at is None or not consumer.is_active:
        raise RuleViolation(_("本单位尚未通过核验，暂不能下单。"))
    product = Product.objects.select_related("operator", "authorization").get(pk=product.pk)
    related = related_party(product, consumer)
    if related:
        raise RuleViolation(related)
    _tradeable(product)
    if listing is None:
        if product.status != ProductStatus.LISTED:
            raise RuleViolation(_("该产品未上架。"))
        venue, exchange_order_no = Venue.OFF, ""
    else:
        listing = Listing.objects.get(pk=listing.pk)
        if listing.product_id != product.pk or listing.status != ListingStatus.LISTED:
            raise RuleViolation(_("该产品未在所选交易场所挂牌交易。"))
        venue = Venue.ON
        exchange_order_no = listings.identifier(exchange_order_no, _("交易场所订单号"))
        if Order.objects.filter(
            listing=listing, exchange_order_no__iexact=exchange_order_no
        ).exists():
            raise RuleViolation(_("该交易场所订单号已登记。"))
    if plan.product_id != product.pk or not plan.is_active:
        raise RuleViolation(_("该价格方案不可订购。"))
    problem = price_problem(product, plan)
    if problem:
        raise RuleViolation(problem)
    if not 1 <= months <= MAX_MONTHS:
        raise RuleViolation(_("服务期限应为 1 至 36 个月。"))
    if plan.charging in (Charging.PER_CALL, Charging.VOLUME):
        if not 1 <= quantity <= MAX_QUANTITY:
            raise RuleViolation(_("购买数量应为 1 至 %(n)s。") % {"n": f"{MAX_QUANTITY:,}"})
    else:
        quantity = months if plan.charging == Charging.MONTHLY else 0
    if Order.objects.filter(consumer=consumer, product=product, status__in=OPEN).exists():
        raise RuleViolation(_("本单位已有该产品的未完成订单。"))
    order = Order(
        code=next_code("LZ-DD", Order),
        product=product,
        plan=plan,
        consumer=consumer,
        operator=product.operator,
        venue=venue,
        listing=listing,
        exchange_order_no=exchange_order_no,
        months=months,
        quantity=quantity,
        amount_fen=amount_of(plan, months=months, quantity=quantity),
        created_by=by,
    )
    with translation.override(settings.LANGUAGE_CODE):  # the contract is in the platform language
        order.terms = terms_of(order, product, plan)
    order.sha256 = agreements.digest(order.terms)
    order.save()
    record(
        actions.ORDER_PLACE,
        by=by,
        target=order,
        changes={
            "product": product.code,
            "venue": venue,
            "exchange_order_no": exchange_order_no,
            "amount_fen": order.amount_fen,
        },
        summary=_("%(buyer)s 订购 %(p)s，合同金额 %(amount)s 元（%(venue)s）")
        % {
            "buyer": consumer.name,
            "p": product.code,
            "amount": documents.amount(order.amount_fen),
            "venue": Venue(venue).label,
        },
    )
    notify(
        members(product.operator, Role.OPERATOR),
        subject=_("新订单待签署合同：%(code)s") % {"code": order.code},
        link=_link(order),
    )
    return order


# --- Signing ----------------------------------------------------------------------------------


def verify(order: Order) -> tuple[bool, list]:
    """The contract is intact and every signature verifies (as for agreements)."""
    return agreements.verify(order)


@transaction.atomic
def sign(order: Order, *, by) -> OrderSignature:
    """One party signs the contract's SHA-256. Both signed: the contract goes on the ledger and
    a 公益 order is delivered at once."""
    order = _locked(order, OrderStatus.ORDERED)
    if by.organisation_id == order.consumer_id:
        _buyer(order, by)
    elif by.organisation_id == order.operator_id:
        _seller(order, by)
    else:
        raise RuleViolation(_("只有合同双方可以签署。"))
    if agreements.digest(order.terms) != order.sha256:
        raise RuleViolation(_("合同文本与生成时的摘要不一致，不能签署。"))
    if order.signatures.filter(organisation_id=by.organisation_id).exists():
        raise RuleViolation(_("本单位已签署该合同。"))
    key = agreements.key_for(by.organisation)
    signature = OrderSignature.objects.create(
        order=order,
        organisation=by.organisation,
        signer=by,
        key=key,
        signature=agreements.sign(order.terms, key),
    )
    record(
        actions.ORDER_SIGN,
        by=by,
        target=order,
        changes={"sha256": order.sha256, "key": key.name},
        summary=_("%(o)s 签署交易合同 %(code)s") % {"o": by.organisation.name, "code": order.code},
    )
    if order.signatures.count() < 2:
        other = order.operator if by.organisation_id == order.consumer_id else order.consumer
        role = Role.OPERATOR if other == order.operator else Role.CONSUMER
        notify(
            members(other, role),
            subject=_("交易合同待签署：%(code)s") % {"code": order.code},
            link=_link(order),
        )
        return signature
    order.status = OrderStatus.SIGNED
    order.save(update_fields=["status", "updated_at"])
    anchor("market.contract", content_hash=order.sha256, by=by, target=order)
    if order.amount_fen == 0:
        _deliver(order, by=by)
    else:
        notify(
            members(order.consumer, Role.CONSUMER),
            subject=_("合同已签署，请按合同付款：%(code)s") % {"code": order.code},
            link=_link(order),
        )
    return signature


# --- Payment and delivery ---------------------------------------------------------------------


@transaction.atomic
def record_payment(order: Order, *, by, paid_on: date, amount, reference: str) -> Order:
    """The seller records the buyer's transfer: exactly the contract amount, on a day from the
    signing to today, with the bank's reference."""
    order = _locked(order, OrderStatus.SIGNED)
    _seller(order, by)
    paid = typed_amount(amount, _("付款金额"))
    if paid != order.amount_fen:
        raise RuleViolation(
            _("付款金额 %(paid)s 元与合同金额 %(due)s 元不符。")
            % {"paid": documents.amount(paid), "due": documents.amount(order.amount_fen)}
        )
    signed_on = timezone.localdate(order.signatures.order_by("-signed_at").first().signed_at)
    if not signed_on <= paid_on <= timezone.localdate():
        raise RuleViolation(_("付款日期应在合同签署之日至今天之间。"))
    reference = listings.identifier(reference, _("银行转账流水号"))
    order.status = OrderStatus.PAYMENT_RECORDED
    order.paid_on, order.paid_fen, order.payment_reference = paid_on, paid, reference
    order.payment_recorded_by = by
    order.save()
    record(
        actions.ORDER_PAY,
        by=by,
        target=order,
        changes={"amount_fen": paid, "reference": reference, "paid_on": paid_on.isoformat()},
        summary=_("登记订单 %(code)s 付款 %(amount)s 元，流水号 %(ref)s")
        % {"code": order.code, "amount": documents.amount(paid), "ref": reference},
    )
    notify(
        members(order.consumer, Role.CONSUMER),
        subject=_("请确认付款：%(code)s") % {"code": order.code},
        link=_link(order),
    )
    return order


@transaction.atomic
def confirm_payment(order: Order, *, by) -> Order:
    """The buyer confirms the payment the seller recorded; the product is delivered."""
    order = _locked(order, OrderStatus.PAYMENT_RECORDED)
    _buyer(order, by)
    order.payment_confirmed_at = timezone.now()
    order.save(update_fields=["payment_confirmed_at", "updated_at"])
    record(
        actions.ORDER_CONFIRM_PAYMENT,
        by=by,
        target=order,
        summary=_("确认订单 %(code)s 付款") % {"code": order.code},
    )
    _deliver(order, by=by)
    return order


def _deliver(order: Order, *, by) -> None:
    """Delivery: the subscription is created now, for the contract's months from today, never
    beyond the authorization's term. Credentials are the buyer's own (one set serves every
    subscription); they work for this product from this moment."""
    product = order.product
    today = timezone.localdate()
    _tradeable(product)
    ends = min(add_months(today, order.months) - timedelta(days=1), product.authorization.ends_on)
    Subscription.objects.filter(
        consumer=order.consumer, product=product, status=SubscriptionStatus.ACTIVE
    ).update(status=SubscriptionStatus.CANCELLED)  # an earlier term is replaced by this one
    order.subscription = Subscription.objects.create(
        code=next_code("LZ-SUB", Subscription),
        consumer=order.consumer,
        product=product,
        plan=order.plan,
        starts_on=today,
        ends_on=ends,
        created_by=by,
    )
    order.status, order.delivered_at = OrderStatus.DELIVERED, timezone.now()
    order.save(update_fields=["subscription", "status", "delivered_at", "updated_at"])
    record(
        actions.ORDER_DELIVER,
        by=by,
        target=order,
        changes={"subscription": order.subscription.code, "ends_on": ends.isoformat()},
        summary=_("订单 %(code)s 交付：订阅 %(sub)s 生效至 %(day)s")
        % {"code": order.code, "sub": order.subscription.code, "day": ends.isoformat()},
    )
    notify(
        members(order.consumer, Role.CONSUMER) + members(order.operator, Role.OPERATOR),
        subject=_("数据产品已交付，请验收：%(code)s") % {"code": order.code},
        body=_("可使用本单位的调用凭证访问该产品；验收前有异议的，请提出争议。"),
        link=_link(order),
    )


# --- Acceptance, disputes, refunds, cancellation -----------------------------------------------


def settlement(order: Order) -> dict:
    """结算单: what acceptance settles, in canonical form."""
    return {
        "contract_no": order.code,
        "contract_sha256": order.sha256,
        "amount_fen": order.amount_fen,
        "paid_fen": order.paid_fen or 0,
        "payment_reference": order.payment_reference,
        "paid_on": order.paid_on.isoformat() if order.paid_on else "",
        "subscription": order.subscription.code if order.subscription_id else "",
        "delivered_at": order.delivered_at.isoformat() if order.delivered_at else "",
        "accepted_on": timezone.localdate().isoformat(),
    }


@transaction.atomic
def accept(order: Order, *, by) -> Order:
    """The buyer accepts the delivery; acceptance settles the order (the payment was confirmed
    before delivery). The settlement's hash goes on the ledger."""
    order = _locked(order, OrderStatus.DELIVERED)
    _buyer(order, by)
    order.status, order.settled_at = OrderStatus.SETTLED, timezone.now()
    order.settlement_sha256 = hashlib.sha256(canonical(settlement(order))).hexdigest()
    order.save()
    anchor("market.settlement", content_hash=order.settlement_sha256, by=by, target=order)
    record(
        actions.ORDER_ACCEPT,
        by=by,
        target=order,
        changes={"settlement_sha256": order.settlement_sha256},
        summary=_("订单 %(code)s 验收并结算") % {"code": order.code},
    )
    notify(
        members(order.operator, Role.OPERATOR),
        subject=_("订单已验收结算：%(code)s") % {"code": order.code},
        link=_link(order),
    )
    return order


@transaction.atomic
def dispute(order: Order, *, by, reason: str) -> Order:
    order = _locked(order, OrderStatus.DELIVERED)
    _buyer(order, by)
    reason = reason.strip()
    if not reason:
        raise RuleViolation(_("请写明争议理由。"))
    order.status, order.reason = OrderStatus.DISPUTED, reason[:2000]
    order.save(update_fields=["status", "reason", "updated_at"])
    record(
        actions.ORDER_DISPUTE,
        by=by,
        target=order,
        changes={"reason": order.reason},
        summary=_("对订单 %(code)s 提出争议") % {"code": order.code},
    )
    notify(
        members(order.operator, Role.OPERATOR) + holders(Role.BUREAU_ADMIN),
        subject=_("交易争议待处理：%(code)s") % {"code": order.code},
        body=order.reason,
        link=_link(order),
    )
    return order


@transaction.atomic
def resolve(order: Order, *, by, refund: bool, resolution: str, reference: str = "") -> Order:
    """The bureau mediates a dispute: the delivery stands (back to delivered, for the buyer to
    accept) or the order is refunded — the subscription ended, the seller's refund reference
    recorded (a free order needs none)."""
    require(by, Perm.PRODUCT_REGULATE)
    order = _locked(order, OrderStatus.DISPUTED)
    resolution = resolution.strip()
    if not resolution:
        raise RuleViolation(_("请写明处理结果。"))
    reference = reference.strip()
    if refund and order.amount_fen:
        reference = listings.identifier(reference, _("退款流水号"))
    order.resolution = resolution[:2000]
    if refund:
        order.status, order.refund_reference = OrderStatus.REFUNDED, reference[:60]
        if order.subscription_id:
            Subscription.objects.filter(pk=order.subscription_id).update(
                status=SubscriptionStatus.CANCELLED
            )
    else:
        order.status = OrderStatus.DELIVERED
    order.save()
    record(
        actions.ORDER_REFUND if refund else actions.ORDER_RESOLVE,
        by=by,
        target=order,
        changes={"refund": refund, "reference": order.refund_reference},
        summary=(
            _("订单 %(code)s 争议处理：退款，订阅终止")
            if refund
            else _("订单 %(code)s 争议处理：交付有效，待买方验收")
        )
        % {"code": order.code},
    )
    notify(
        members(order.consumer, Role.CONSUMER) + members(order.operator, Role.OPERATOR),
        subject=_("交易争议已处理：%(code)s") % {"code": order.code},
        body=order.resolution,
        link=_link(order),
    )
    return order


@transaction.atomic
def cancel(order: Order, *, by, reason: str) -> Order:
    """Either party cancels before delivery, with a reason; a recorded payment must be returned
    outside the platform, so it is cancelled only by the seller who recorded it."""
    order = _locked(order, *OPEN)
    if by.organisation_id == order.consumer_id:
        _buyer(order, by)
        if order.status == OrderStatus.PAYMENT_RECORDED:
            raise RuleViolation(_("卖方已登记付款，请先确认付款或与卖方协商后由卖方取消。"))
    else:
        _seller(order, by)
    reason = reason.strip()
    if not reason:
        raise RuleViolation(_("请写明取消理由。"))
    order.status, order.reason = OrderStatus.CANCELLED, reason[:2000]
    order.save(update_fields=["status", "reason", "updated_at"])
    record(
        actions.ORDER_CANCEL,
        by=by,
        target=order,
        changes={"reason": order.reason},
        summary=_("取消订单 %(code)s") % {"code": order.code},
    )
    other = order.operator if by.organisation_id == order.consumer_id else order.consumer
    notify(
        members(other, Role.OPERATOR, Role.CONSUMER),
        subject=_("订单已取消：%(code)s") % {"code": order.code},
        body=order.reason,
        link=_link(order),
    )
    return order


def visible(user):
    """The orders `user` may see: all for those who see every product, else their own side."""
    if user.has_perm(Perm.PRODUCT_VIEW_ALL):
        return Order.objects.all()
    if user.organisation_id is None:
        return Order.objects.none()
    return Order.objects.filter(
        Q(consumer_id=user.organisation_id) | Q(operator_id=user.organisation_id)
    )
