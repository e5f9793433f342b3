"""上架交易 on data exchanges: the 说明书 the operator completes, the product's registration
(数据产品登记, three years or the authorization's term if shorter, renewed in the last 60 days),
and listings — draft → submitted → under review → 公示 (3 working days, objections) → listed →
suspended / delisted — with the exchange's listing number. A lapsed registration delists the
product everywhere on the day it lapses (`lapse`, run daily).

The exchange is outside the platform: the operator records what the exchange did, each step
audited; the dossier's SHA-256 and the registration go on the ledger.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pdao.audit.services import record
from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization
from pdao.catalogue.choices import Frequency
from pdao.catalogue.registration import add_working_days
from pdao.core import stored, submissions
from pdao.core.calendar import add_years
from pdao.core.codes import next_code
from pdao.core.identity import SCHEDULER
from pdao.core.permissions import Perm, Role
from pdao.core.rules import CONTROL, RuleViolation, require, typed_text
from pdao.ledger.entry import canonical
from pdao.ledger.services import anchor
from pdao.market import actions, dossier
from pdao.market.choices import (
    Delivery,
    ListingStatus,
    RegistrationKind,
    RegistrationStatus,
)
from pdao.market.models import Listing, ListingObjection, ProductRegistration, Specification
from pdao.notifications.services import holders, members, notify
from pdao.products.choices import ProductStatus
from pdao.products.models import Product

AREA = "market"  # stored files: DATA_DIR/market/<sha256>.zip
VALID_YEARS = 3
RENEWAL_DAYS = 60
NOTICE_WORKING_DAYS = 3
FILED = (ProductStatus.FILED, ProductStatus.LISTED, ProductStatus.DELISTED)
LIVE = (
    ListingStatus.DRAFT,
    ListingStatus.SUBMITTED,
    ListingStatus.REVIEWING,
    ListingStatus.NOTICE,
    ListingStatus.LISTED,
    ListingStatus.SUSPENDED,
)
# What the operator may record next, from each state (delisting is open from every live one).
STEPS = {
    ListingStatus.DRAFT: {ListingStatus.SUBMITTED},
    ListingStatus.SUBMITTED: {ListingStatus.REVIEWING, ListingStatus.DRAFT},
    ListingStatus.REVIEWING: {ListingStatus.NOTICE, ListingStatus.DRAFT},
    ListingStatus.NOTICE: {ListingStatus.LISTED, ListingStatus.DRAFT},
    ListingStatus.LISTED: {ListingStatus.SUSPENDED},
    ListingStatus.SUSPENDED: {ListingStatus.LISTED},
}


def identifier(value: str, label: str) -> str:
    """An exchange's or a bank's reference: 1–60 of letters, digits and - _ / . : #."""
    value = (value or "").strip()
    if not IDENTIFIER.fullmatch(value):
        raise RuleViolation(
            _("%(field)s应为 1 至 60 位字母、数字或 - _ / . : # 组成的编号。") % {"field": label}
        )
    return value


def _own(product: Product, by) -> None:
    require(by, Perm.PRODUCT_MANAGE)
    if product.operator_id != by.organisation_id:
        raise RuleViolation(_("只能办理本单位的数据产品。"))


# An identifier the other party or an exchange gave: letters, digits and - _ / . : # only, so
# it cannot carry wording into a contract.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.:#]{0,59}", re.ASCII)


def _text(value, label: str, limit: int) -> str:
    return typed_text(value, label, limit)


# --- 说明书 -----------------------------------------------------------------------------------


@transaction.atomic
def save_specification(product: Product, *, by, **fields) -> Specification:
    """The operator's part of the 说明书. Field meanings are keyed in:<parameter> / out:<column>
    and must name the product's own parameters and columns."""
    _own(product, by)
    if product.status not in FILED:
        raise RuleViolation(_("产品备案后才能编写挂牌说明书。"))
    if fields.get("update_frequency") not in Frequency.values:
        raise RuleViolation(_("请选择更新频率。"))
    if fields.get("delivery") not in Delivery.values:
        raise RuleViolation(_("请选择交付方式。"))
    known = set(dossier.field_keys(product))
    meanings = {
        k: str(v).strip()[:200] for k, v in (fields.get("field_meanings") or {}).items() if v
    }
    if set(meanings) - known:
        raise RuleViolation(_("字段含义只能写给本产品的输入参数和输出字段。"))
    if any(CONTROL.search(meaning) for meaning in meanings.values()):
        raise RuleViolation(_("字段含义含有不可见的控制字符，请删除后重试。"))
    values = {
        "data_content": _text(fields.get("data_content"), _("数据内容"), 2000),
        "update_frequency": fields["update_frequency"],
        "field_meanings": meanings,
        "use_purpose": _text(fields.get("use_purpose"), _("使用目的"), 1000),
        "use_term": _text(fields.get("use_term"), _("使用期限"), 200),
        "allowed_users": _text(fields.get("allowed_users"), _("允许的使用者"), 1000),
        "prohibited": _text(fields.get("prohibited"), _("禁止行为"), 2000),
        "use_cases": _text(fields.get("use_cases"), _("应用案例"), 4000),
        "delivery": fields["delivery"],
        "updated_by": by,
    }
    spec, created = Specification.objects.update_or_create(product=product, defaults=values)
    record(
        actions.SPEC_SAVE,
        by=by,
        target=product,
        changes={"created": created},
        summary=_("编写数据产品 %(code)s 的说明书") % {"code": product.code},
    )
    return spec


# --- 数据产品登记 -------------------------------------------------------------------------------


def current_registration(product: Product, today: date | None = None):
    """The confirmed registration in force today, or None."""
    today = today or timezone.localdate()
    return (
        product.registrations.filter(
            status=RegistrationStatus.CONFIRMED, valid_from__lte=today, valid_until__gte=today
        )
        .order_by("-valid_until")
        .first()
    )


def latest_confirmed(product: Product):
    return (
        product.registrations.filter(status=RegistrationStatus.CONFIRMED)
        .order_by("-valid_until")
        .first()
    )


def registration_state(product: Product, today: date | None = None) -> tuple[str, object]:
    """("none" | "valid" | "renewable" | "lapsed", the registration)."""
    today = today or timezone.localdate()
    latest = latest_confirmed(product)
    if latest is None:
        return "none", None
    if latest.valid_until < today:
        return "lapsed", latest
    if latest.valid_until - timedelta(days=RENEWAL_DAYS) <= today:
        return "renewable", latest
    return "valid", latest


def _snapshot(product: Product) -> dict:
    return {
        "产品编号": product.code,
        "产品名称": product.name,
        "供方": product.operator.name,
        "统一社会信用代码": product.operator.credit_code,
        "备案编号": product.filing_no,
        "授权编号": product.authorization.code,
    }


@transaction.atomic
def submit_registration(product: Product, *, by) -> ProductRegistration:
    """The operator asks for registration: first, after a lapse, or as a renewal in the 60
    days before the registration in force ends."""
    _own(product, by)
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.status not in FILED:
        raise RuleViolation(_("产品备案后才能申请登记。"))
    if not hasattr(product, "specification"):
        raise RuleViolation(_("请先完成数据产品说明书。"))
    if product.registrations.filter(status=RegistrationStatus.SUBMITTED).exists():
        raise RuleViolation(_("该产品有尚未办结的登记申请。"))
    state, latest = registration_state(product)
    if state == "valid":
        raise RuleViolation(
            _("登记有效期至 %(day)s，到期前 %(n)s 天内可以申请续期。")
            % {"day": latest.valid_until.isoformat(), "n": RENEWAL_DAYS}
        )
    kind = RegistrationKind.RENEWAL if state == "renewable" else RegistrationKind.INITIAL
    if kind == RegistrationKind.RENEWAL and product.authorization.ends_on <= latest.valid_until:
        raise RuleViolation(_("授权期限不晚于登记有效期，不能续期。"))
    registration = ProductRegistration.objects.create(
        product=product,
        kind=kind,
        submitted_by=by,
        sha256=hashlib.sha256(canonical(_snapshot(product))).hexdigest(),
    )
    record(
        actions.REGISTRATION_SUBMIT,
        by=by,
        target=product,
        changes={"kind": kind},
        summary=_("申请数据产品 %(code)s %(kind)s")
        % {"code": product.code, "kind": registration.get_kind_display()},
    )
    notify(
        holders(Role.BUREAU_ADMIN),
        subject=_("数据产品登记待确认：%(name)s") % {"name": product.name},
        link=reverse("market:registrations"),
    )
    return registration


def _registration_code() -> str:
    """登记确认单编号: <division>-CP-<year>-<6 digits>, e.g. 450200-CP-2026-000003."""
    stem = f"{settings.CITY_DIVISION_CODE}-CP-{timezone.localdate().year}-"
    taken = ProductRegistration.objects.filter(code__startswith=stem).count()
    return f"{stem}{taken + 1:06d}"


@transaction.atomic
def decide_registration(
    registration: ProductRegistration, *, by, confirm: bool, note: str = ""
) -> ProductRegistration:
    """The bureau confirms (a number, valid three years or to the authorization's end) or
    refuses with a reason. A renewal keeps the number and continues the validity."""
    require(by, Perm.PRODUCT_REGULATE)
    registration = ProductRegistration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.SUBMITTED:
        raise RuleViolation(_("该登记申请已办结。"))
    product = registration.product
    today = timezone.localdate()
    if not confirm:
        registration.note = _text(note, _("不予登记的理由"), 1000)
        registration.status = RegistrationStatus.REJECTED
    else:
        ends = product.authorization.ends_on
        if ends < today:
            raise RuleViolation(_("产品所依据的授权已到期，不能登记。"))
        latest = latest_confirmed(product)
        if registration.kind == RegistrationKind.RENEWAL and latest and latest.valid_until >= today:
            registration.code = latest.code
            registration.valid_from = latest.valid_until + timedelta(days=1)
        else:
            registration.code = _registration_code()
            registration.valid_from = today
        registration.valid_until = min(
            add_years(registration.valid_from, VALID_YEARS) - timedelta(days=1), ends
        )
        registration.note = note.strip()
        registration.status = RegistrationStatus.CONFIRMED
    registration.decided_by, registration.decided_at = by, timezone.now()
    registration.save()
    if confirm:
        anchor(
            "market.registration",
            content_hash=hashlib.sha256(
                canonical(
                    _snapshot(product)
                    | {
                        "登记确认单编号": registration.code,
                        "有效期起": registration.valid_from.isoformat(),
                        "有效期至": registration.valid_until.isoformat(),
                    }
                )
            ).hexdigest(),
            by=by,
            target=registration,
        )
    record(
        actions.REGISTRATION_CONFIRM if confirm else actions.REGISTRATION_REJECT,
        by=by,
        target=product,
        changes={"code": registration.code, "note": registration.note},
        summary=(
            _("确认数据产品 %(p)s 登记，编号 %(code)s，有效期至 %(day)s")
            % {"p": product.code, "code": registration.code, "day": registration.valid_until}
            if confirm
            else _("数据产品 %(p)s 不予登记：%(note)s") % {"p": product.code, "note": note}
        ),
    )
    notify(
        members(product.operator, Role.OPERATOR),
        subject=(_("数据产品登记已确认：%(name)s") if confirm else _("数据产品未予登记：%(name)s"))
        % {"name": product.name},
        link=reverse("market:product", args=[product.code]),
    )
    return registration


# --- Listings ---------------------------------------------------------------------------------


@transaction.atomic
def _authorized(product: Product) -> None:
    """A listing moves forward only while the product's authorization is in force (an exited
    one's products are never offered again)."""
    if not Authorization.objects.filter(
        pk=product.authorization_id, status=AuthorizationStatus.ACTIVE
    ).exists():
        raise RuleViolation(_("所依托的授权不在有效状态，挂牌不能推进。"))


def create_listing(product: Product, *, by, exchange: str) -> Listing:
    _own(product, by)
    exchange = _text(exchange, _("交易场所"), 100)
    _authorized(product)
    if product.status not in FILED:
        raise RuleViolation(_("产品备案后才能申请挂牌。"))
    if current_registration(product) is None:
        raise RuleViolation(_("产品未登记或登记已失效，不能申请挂牌。"))
    if not hasattr(product, "specification"):
        raise RuleViolation(_("请先完成数据产品说明书。"))
    if product.listings.filter(exchange=exchange, status__in=LIVE).exists():
        raise RuleViolation(_("该产品在%(e)s已有挂牌申请。") % {"e": exchange})
    listing = Listing.objects.create(
        code=next_code("LZ-GP", Listing), product=product, exchange=exchange, created_by=by
    )
    record(
        actions.LISTING_CREATE,
        by=by,
        target=listing,
        changes={"product": product.code, "exchange": exchange},
        summary=_("数据产品 %(p)s 申请在%(e)s挂牌") % {"p": product.code, "e": exchange},
    )
    return listing


@transaction.atomic
def prepare(listing: Listing, *, by) -> Listing:
    """Build the dossier from today's records, keep it by its hash and anchor the hash. Only a
    draft's dossier can change: what the exchange received stays what it received."""
    _own(listing.product, by)
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.status != ListingStatus.DRAFT:
        raise RuleViolation(_("挂牌材料已提交交易场所，不能重新生成。"))
    product = listing.product
    registration = current_registration(product)
    if registration is None:
        raise RuleViolation(_("产品未登记或登记已失效，不能生成挂牌材料。"))
    with translation.override(settings.LANGUAGE_CODE):  # the dossier is in the platform language
        data = dossier.content(product, registration) | {
            "挂牌申请": {"编号": listing.code, "交易场所": listing.exchange}
        }
    package = dossier.package(data)
    listing.package_sha256 = stored.store(AREA, package, "zip")
    listing.package_bytes = len(package)
    listing.dossier = data
    listing.prepared_at = timezone.now()
    listing.save(update_fields=["package_sha256", "package_bytes", "dossier", "prepared_at"])
    anchor("market.dossier", content_hash=listing.package_sha256, by=by, target=listing)
    record(
        actions.LISTING_PREPARE,
        by=by,
        target=listing,
        changes={"sha256": listing.package_sha256, "bytes": listing.package_bytes},
        summary=_("生成挂牌材料 %(code)s，SHA-256 %(h)s")
        % {"code": listing.code, "h": listing.package_sha256[:16]},
    )
    return listing


def _objections_clear(listing: Listing) -> None:
    objections = list(listing.objections.all())
    if any(o.answered_at is None for o in objections):
        raise RuleViolation(_("还有未答复的公示异议。"))
    if any(o.upheld for o in objections):
        raise RuleViolation(_("有成立的公示异议，不能挂牌。"))


@transaction.atomic
def advance(
    listing: Listing,
    *,
    by,
    to: str,
    reason: str = "",
    number: str = "",
) -> Listing:
    """Record the exchange's next step (`to`). Returning to draft, suspending and delisting
    need a reason; listing needs the exchange's number, the notice over and every objection
    answered and none upheld. The bureau may suspend or delist as regulator."""
    regulator = by.has_perm(Perm.PRODUCT_REGULATE)
    if not regulator:
        _own(listing.product, by)
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if to not in ListingStatus.values:
        raise RuleViolation(_("请选择挂牌进展。"))
    allowed = STEPS.get(listing.status, set()) | (
        {ListingStatus.DELISTED} if listing.status in LIVE else set()
    )
    if regulator and listing.product.operator_id != by.organisation_id:
        allowed &= {ListingStatus.SUSPENDED, ListingStatus.DELISTED}
    if to not in allowed:
        raise RuleViolation(
            _("挂牌状态不能从“%(a)s”变为“%(b)s”。")
            % {"a": listing.get_status_display(), "b": ListingStatus(to).label}
        )
    today = timezone.localdate()
    reason = reason.strip()
    if to in (ListingStatus.DRAFT, ListingStatus.SUSPENDED, ListingStatus.DELISTED):
        reason = _text(reason, _("理由"), 1000)
    if to not in (ListingStatus.DRAFT, ListingStatus.SUSPENDED, ListingStatus.DELISTED):
        _authorized(listing.product)
    if to == ListingStatus.SUBMITTED and not listing.package_sha256:
        raise RuleViolation(_("请先生成挂牌材料。"))
    if to == ListingStatus.NOTICE:
        # Our public notice runs from the day it is recorded: a day in the past would leave
        # the public no time to object here.
        listing.notice_start = today
        listing.notice_end = add_working_days(today, NOTICE_WORKING_DAYS)
    if to == ListingStatus.LISTED:
        if current_registration(listing.product) is None:
            raise RuleViolation(_("产品登记已失效，不能挂牌。"))
        if listing.status == ListingStatus.NOTICE:
            if today <= listing.notice_end:
                raise RuleViolation(
                    _("公示期至 %(day)s，公示结束后才能登记挂牌。")
                    % {"day": listing.notice_end.isoformat()}
                )
            _objections_clear(listing)
            listing.exchange_listing_no = identifier(number, _("交易场所挂牌编号"))
            if (
                Listing.objects.filter(
                    exchange=listing.exchange,
                    exchange_listing_no__iexact=listing.exchange_listing_no,
                )
                .exclude(pk=listing.pk)
                .exists()
            ):
                raise RuleViolation(_("该交易场所的挂牌编号已被使用。"))
            listing.listed_on = today
    if to == ListingStatus.DRAFT:
        listing.notice_start = listing.notice_end = None
    before = listing.status
    listing.status, listing.status_reason = to, reason
    listing.save()
    record(
        actions.LISTING_STATE,
        by=by,
        target=listing,
        changes={"from": before, "to": to, "reason": reason, "number": listing.exchange_listing_no},
        summary=_("挂牌 %(code)s：%(a)s → %(b)s")
        % {
            "code": listing.code,
            "a": ListingStatus(before).label,
            "b": ListingStatus(to).label,
        },
    )
    if regulator and listing.product.operator_id != by.organisation_id:
        notify(
            members(listing.product.operator, Role.OPERATOR),
            subject=_("挂牌 %(code)s 已被市数据局%(what)s")
            % {"code": listing.code, "what": ListingStatus(to).label},
            body=reason,
            link=reverse("market:listing_detail", args=[listing.code]),
        )
    return listing


@transaction.atomic
def raise_objection(listing: Listing, *, name: str, contact: str, text: str) -> ListingObjection:
    """Anyone may object while the notice runs; no account is needed."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    today = timezone.localdate()
    if listing.status != ListingStatus.NOTICE or today > listing.notice_end:
        raise RuleViolation(_("该挂牌不在公示期内，不能提出异议。"))
    name = _text(name, _("异议人"), 100)
    contact = _text(contact, _("联系方式"), 100)
    text = _text(text, _("异议内容"), 2000)
    objection = submissions.create_once(
        ListingObjection,
        prefix="GP",
        parts=(listing.pk, name, contact, text),
        created="raised_at",
        listing=listing,
        raised_by_name=name,
        contact=contact,
        text=text,
    )
    if objection.repeated:
        return objection
    record(
        actions.LISTING_OBJECTION,
        by=None,
        username=name[:150],
        target=listing,
        summary=_("%(n)s 对挂牌 %(code)s 提出异议") % {"n": name, "code": listing.code},
    )
    notify(
        holders(Role.BUREAU_ADMIN) + members(listing.product.operator, Role.OPERATOR),
        subject=_("挂牌公示收到异议：%(code)s") % {"code": listing.code},
        link=reverse("market:listing_detail", args=[listing.code]),
    )
    return objection


@transaction.atomic
def answer_objection(
    objection: ListingObjection, *, by, response: str, upheld: bool
) -> ListingObjection:
    require(by, Perm.PRODUCT_REGULATE)
    objection = ListingObjection.objects.select_for_update().get(pk=objection.pk)
    if objection.answered_at is not None:
        raise RuleViolation(_("该异议已答复。"))
    objection.response = _text(response, _("答复内容"), 2000)
    objection.upheld, objection.answered_at = upheld, timezone.now()
    objection.save()
    record(
        actions.LISTING_ANSWER,
        by=by,
        target=objection.listing,
        changes={"objection": objection.pk, "upheld": upheld},
        summary=_("答复对挂牌 %(code)s 的异议（%(v)s）")
        % {"code": objection.listing.code, "v": _("成立") if upheld else _("不成立")},
    )
    return objection


def track_objection(number: str) -> dict | None:
    objection = (
        ListingObjection.objects.select_related("listing").filter(tracking_no=number).first()
    )
    if objection is None:
        return None
    return {
        "kind": _("挂牌公示异议"),
        "subject": str(objection.listing),
        "received": objection.raised_at,
        "status": submissions.objection_status(objection.answered_at, objection.upheld),
        "response": objection.response,
        "answered": objection.answered_at,
        "contact": objection.contact,
    }


# --- Lapse ------------------------------------------------------------------------------------


@transaction.atomic
def lapse(today: date | None = None) -> list[Product]:
    """Products whose registration ended before `today` and was not renewed: delisted on our
    market and on every exchange, once; returns them."""
    today = today or timezone.localdate()
    lapsed = []
    for registration in (
        ProductRegistration.objects.select_for_update()
        .filter(status=RegistrationStatus.CONFIRMED, valid_until__lt=today, lapsed_at__isnull=True)
        .select_related("product__operator")
    ):
        product = registration.product
        registration.lapsed_at = timezone.now()
        registration.save(update_fields=["lapsed_at"])
        if current_registration(product, today) is not None:
            continue  # renewed: the next registration is in force
        reason = _("数据产品登记 %(code)s 已于 %(day)s 到期失效") % {
            "code": registration.code,
            "day": registration.valid_until.isoformat(),
        }
        for listing in product.listings.filter(status__in=LIVE).exclude(status=ListingStatus.DRAFT):
            listing.status, listing.status_reason = ListingStatus.DELISTED, reason
            listing.save(update_fields=["status", "status_reason"])
        if product.status == ProductStatus.LISTED:
            product.status, product.status_reason = ProductStatus.DELISTED, reason
            product.save(update_fields=["status", "status_reason"])
        record(
            actions.REGISTRATION_LAPSE,
            by=SCHEDULER,
            target=product,
            changes={"registration": registration.code},
            summary=_("%(reason)s，产品 %(p)s 下架、摘牌") % {"reason": reason, "p": product.code},
        )
        notify(
            members(product.operator, Role.OPERATOR) + holders(Role.BUREAU_ADMIN),
            subject=_("数据产品登记失效，已下架：%(name)s") % {"name": product.name},
            body=reason,
            link=reverse("market:product", args=[product.code]),
        )
        lapsed.append(product)
    return lapsed
