"""数据产品交易 pages: the public market (search, product pages with the 说明书, listings on
public notice and their objections), the operator's listing work (说明书, registration, dossier,
exchange progress), the bureau's registrations and related parties, and orders with their
contracts for both parties.

Those who see every product (`PRODUCT_VIEW_ALL`) see every order and listing; otherwise an order
is its two parties' and anything else is 404. Each form posts to one service verb.
"""

from __future__ import annotations

import tempfile
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, DecimalField, F, Min, Q, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.accounts.models import Organisation
from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization
from pdao.catalogue.choices import Domain, Frequency
from pdao.catalogue.excel import WorkbookProblems
from pdao.catalogue.models import Resource
from pdao.core import papers, stored, submissions
from pdao.core.access import public, requires, requires_login
from pdao.core.confirm import unconfirmed
from pdao.core.downloads import attach
from pdao.core.permissions import Perm
from pdao.core.posts import perform
from pdao.core.rules import RuleViolation
from pdao.finance import documents
from pdao.market import contracts, dossier, listings, orders, survey
from pdao.market import firms as firm_services
from pdao.market.choices import (
    Delivery,
    Disposition,
    FirmCategory,
    ListingStatus,
    OrderStatus,
    RecipientType,
    RegistrationStatus,
    ServiceMethod,
    Venue,
)
from pdao.market.models import (
    ExistingService,
    FirmApplication,
    Listing,
    ListingObjection,
    MigrationTask,
    Order,
    ProductRegistration,
    RelatedGroup,
    ServiceSurvey,
)
from pdao.products.choices import Charging, ProductKind, ProductStatus
from pdao.products.models import PricePlan, Product

POST = ("POST",)
PURPOSES = {"public_welfare": gettext_lazy("公益类"), "industry": gettext_lazy("产业类")}


def _tradeable():
    """Products on our market or listed on an exchange, under an active authorization, not
    frozen, with a registration in force: what can be bought today."""
    today = timezone.localdate()
    registered = ProductRegistration.objects.filter(
        status=RegistrationStatus.CONFIRMED, valid_from__lte=today, valid_until__gte=today
    ).values("product_id")
    return (
        Product.objects.filter(
            Q(status=ProductStatus.LISTED) | Q(listings__status=ListingStatus.LISTED),
            authorization__status=AuthorizationStatus.ACTIVE,
            frozen_at__isnull=True,
            pk__in=registered,
        )
        .distinct()
        .select_related("operator", "authorization__application")
    )


def _product(user, code: str) -> Product:
    """A product page: tradeable ones for anyone; any for those who see every product; their
    own for operators."""
    found = _tradeable().filter(code=code).first()
    if found is not None:
        return found
    if user.is_authenticated and (
        user.has_perm(Perm.PRODUCT_VIEW_ALL) or user.has_perm(Perm.PRODUCT_MANAGE)
    ):
        product = get_object_or_404(
            Product.objects.select_related("operator", "authorization__application"), code=code
        )
        if user.has_perm(Perm.PRODUCT_VIEW_ALL) or product.operator_id == user.organisation_id:
            return product
    raise Http404


def _whole(text: str) -> int:
    """A whole number as a person types it: ASCII digits, thousands separators allowed, at most
    twelve digits; ValueError otherwise (int() alone takes "1_000", "١٢" and 4,300 digits)."""
    digits = text.strip().replace(",", "")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 12):
        raise ValueError(text)
    return int(digits)


def _decimal(text: str) -> Decimal | None:
    text = (text or "").strip().replace(",", "")
    if not text or not text.isascii():
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


# --- Public market ----------------------------------------------------------------------------


@public()
def home(request):
    """Search and filter: industry (the plan's nine domains), data type, 公益/产业, price
    range (the lowest published price, per call or per month)."""
    products = _tradeable().annotate(
        lowest=Min(
            Case(
                When(plans__is_active=True, plans__charging=Charging.MONTHLY,
                     then=F("plans__monthly_fee")),
                When(plans__is_active=True, then=F("plans__unit_price")),
                output_field=DecimalField(max_digits=12, decimal_places=4),
            )
        )
    )  # fmt: skip
    get = request.GET
    term = get.get("q", "").strip()[:50]
    if term:
        products = products.filter(Q(name__icontains=term) | Q(summary__icontains=term))
    if get.get("domain") in Domain.values:
        products = products.filter(authorization__application__domain=get["domain"])
    if get.get("kind") in ProductKind.values:
        products = products.filter(kind=get["kind"])
    if get.get("purpose") in PURPOSES:
        products = products.filter(purpose=get["purpose"])
    low, high = _decimal(get.get("min", "")), _decimal(get.get("max", ""))
    ignored = [
        label
        for name, label, value in (("min", _("最低价"), low), ("max", _("最高价"), high))
        if get.get(name, "").strip() and value is None
    ]
    if ignored:
        messages.warning(
            request,
            _("%(what)s应为不小于 0 的数字（如 0.5），本次未按其筛选。")
            % {"what": "、".join(str(i) for i in ignored)},
        )
    if low is not None:
        products = products.filter(lowest__gte=low)
    if high is not None:
        products = products.filter(lowest__lte=high)
    page = Paginator(products.order_by("-listed_at", "code"), 20).get_page(request.GET.get("page"))
    exchanges = {
        row["product_id"]: row
        for row in Listing.objects.filter(
            product__in=[p.pk for p in page], status=ListingStatus.LISTED
        ).values("product_id", "exchange", "exchange_listing_no")
    }
    for p in page:
        p.exchange = exchanges.get(p.pk)
    return render(
        request,
        "market/home.html",
        {
            "page": page,
            "domains": Domain.choices,
            "kinds": ProductKind.choices,
            "purposes": PURPOSES.items(),
            "filtered": any(get.get(k) for k in ("q", "domain", "kind", "purpose", "min", "max")),
        },
    )


@public()
def product(request, code: str):
    found = _product(request.user, code)
    user = request.user
    registration = listings.current_registration(found)
    spec = getattr(found, "specification", None)
    context = {
        "product": found,
        "spec": dossier.content(found, registration) if spec else None,
        "registration": registration,
        "listings": [
            listing
            for listing in found.listings.exclude(status=ListingStatus.DRAFT)
            if _public(listing)
            or (user.is_authenticated and user.has_perm(Perm.PRODUCT_VIEW_ALL))
            or (user.is_authenticated and found.operator_id == user.organisation_id)
        ],
        "plans": found.plans.filter(is_active=True),
        "domain": dossier.label(Domain, found.authorization.application.domain),
        "own": user.is_authenticated and found.operator_id == user.organisation_id,
        "may_order": user.is_authenticated
        and user.has_perm(Perm.PRODUCT_SUBSCRIBE)
        and registration is not None,
        "on_market": found.status == ProductStatus.LISTED,
        "exchange_listings": found.listings.filter(status=ListingStatus.LISTED),
        "C": Charging,
    }
    return render(request, "market/product.html", context)


@public()
def listing_detail(request, code: str):
    """A listing: public while on notice and once listed; its operator and those who see every
    product see it in every state, with the dossier and the exchange steps."""
    listing = get_object_or_404(Listing.objects.select_related("product__operator"), code=code)
    user = request.user
    manages = user.is_authenticated and (
        user.has_perm(Perm.PRODUCT_VIEW_ALL) or listing.product.operator_id == user.organisation_id
    )
    if not manages and not _public(listing):
        raise Http404
    today = timezone.localdate()
    return render(
        request,
        "market/listing_detail.html",
        {
            "listing": listing,
            "manages": manages,
            "own": user.is_authenticated and listing.product.operator_id == user.organisation_id,
            "objections": listing.objections.all() if manages else [],
            "on_notice": listing.status == ListingStatus.NOTICE and today <= listing.notice_end,
            "next": [(s, ListingStatus(s).label) for s in _next_steps(listing)],
            "L": ListingStatus,
            "today": today,
        },
    )


def _public(listing: Listing) -> bool:
    """A listing is public from its notice: on notice, listed, suspended, or delisted after it
    was listed; before that it is between the operator and the exchange."""
    return listing.status in (
        ListingStatus.NOTICE,
        ListingStatus.LISTED,
        ListingStatus.SUSPENDED,
    ) or (listing.status == ListingStatus.DELISTED and listing.listed_on is not None)


def _next_steps(listing: Listing) -> list[str]:
    steps = listings.STEPS.get(listing.status, set())
    if listing.status in listings.LIVE:
        steps = steps | {ListingStatus.DELISTED}
    return [s for s in ListingStatus.values if s in steps]


@public(methods=POST)
def listing_object(request, code: str):
    listing = get_object_or_404(Listing, code=code)
    try:
        objection = listings.raise_objection(
            listing,
            name=request.POST.get("name", ""),
            contact=request.POST.get("contact", ""),
            text=request.POST.get("text", ""),
        )
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        submissions.say_received(request, objection, _("异议已提交。"))
    return redirect("market:listing_detail", listing.code)


# --- The operator's listing work ----------------------------------------------------------------


@requires_login()
def listings_page(request):
    """Operators: their filed products with registration state and listings; those who see
    every product: every listing."""
    user = request.user
    if user.has_perm(Perm.PRODUCT_VIEW_ALL):
        products = Product.objects.filter(status__in=listings.FILED)
    elif user.has_perm(Perm.PRODUCT_MANAGE):
        products = Product.objects.filter(
            operator_id=user.organisation_id, status__in=listings.FILED
        )
    else:
        raise Http404
    products = products.select_related("operator").order_by("code")
    rows = [
        {
            "product": p,
            "state": listings.registration_state(p),
            "listings": list(p.listings.all()),
            "has_spec": hasattr(p, "specification"),
        }
        for p in products
    ]
    return render(request, "market/listings.html", {"rows": rows, "today": timezone.localdate()})


@requires(Perm.PRODUCT_MANAGE, methods=("GET", "HEAD", "POST"))
def specification(request, code: str):
    product = get_object_or_404(Product, code=code, operator_id=request.user.organisation_id)
    spec = getattr(product, "specification", None)
    if request.method == "POST":
        post = request.POST
        meanings = {key: post.get(f"meaning:{key}", "") for key in dossier.field_keys(product)}
        return perform(
            request,
            lambda: listings.save_specification(
                product,
                by=request.user,
                data_content=post.get("data_content", ""),
                update_frequency=post.get("update_frequency", ""),
                field_meanings=meanings,
                use_purpose=post.get("use_purpose", ""),
                use_term=post.get("use_term", ""),
                allowed_users=post.get("allowed_users", ""),
                prohibited=post.get("prohibited", ""),
                use_cases=post.get("use_cases", ""),
                delivery=post.get("delivery", ""),
            ),
            _("说明书已保存。"),
            ("market:product", product.code),
            back=("market:specification", product.code),
        )
    inputs, outputs = dossier.fields(product)
    return render(
        request,
        "market/specification.html",
        {
            "product": product,
            "spec": spec,
            "inputs": inputs,
            "outputs": outputs,
            "frequencies": Frequency.choices,
            "deliveries": Delivery.choices,
            "default_prohibited": "；".join(orders.PROHIBITED),
        },
    )


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def registration_submit(request, code: str):
    product = get_object_or_404(_own_products(request.user), code=code)
    return perform(
        request,
        lambda: listings.submit_registration(product, by=request.user),
        _("登记申请已提交，等待市数据局确认。"),
        "market:listings",
    )


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def listing_create(request, code: str):
    product = get_object_or_404(_own_products(request.user), code=code)
    return perform(
        request,
        lambda: listings.create_listing(
            product, by=request.user, exchange=request.POST.get("exchange", "")
        ),
        _("挂牌申请已创建，请生成挂牌材料。"),
        lambda listing: ("market:listing_detail", listing.code),
        back="market:listings",
    )


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def listing_prepare(request, code: str):
    listing = get_object_or_404(_managed_listings(request.user), code=code)
    return perform(
        request,
        lambda: listings.prepare(listing, by=request.user),
        _("挂牌材料已生成，摘要已存证。"),
        ("market:listing_detail", listing.code),
    )


@requires(Perm.PRODUCT_VIEW_ALL, methods=POST)
def listing_regulate(request, code: str):
    """The bureau suspends or delists a listing as regulator."""
    return _advance(request, code)


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def listing_advance(request, code: str):
    return _advance(request, code)


def _advance(request, code: str):
    listing = get_object_or_404(_managed_listings(request.user), code=code)
    post = request.POST
    return perform(
        request,
        lambda: listings.advance(
            listing,
            by=request.user,
            to=post.get("to", ""),
            reason=post.get("reason", ""),
            number=post.get("number", ""),
        ),
        _("挂牌进展已登记。"),
        ("market:listing_detail", listing.code),
    )


def _managed_listings(user):
    """Listings `user` may work on: every one for the regulator, else its own products'."""
    if user.has_perm(Perm.PRODUCT_VIEW_ALL):
        return Listing.objects.all()
    return Listing.objects.filter(product__operator_id=user.organisation_id)


def _own_products(user):
    return Product.objects.filter(operator_id=user.organisation_id)


@requires_login()
def listing_package(request, code: str):
    """The dossier as the exchange received it, checked against its anchored hash."""
    listing = get_object_or_404(Listing.objects.select_related("product"), code=code)
    user = request.user
    if not (
        user.has_perm(Perm.PRODUCT_VIEW_ALL) or listing.product.operator_id == user.organisation_id
    ):
        raise Http404
    data = (
        stored.read(listings.AREA, listing.package_sha256, "zip")
        if listing.package_sha256
        else None
    )
    if data is None:
        raise Http404
    return attach(
        HttpResponse(data, content_type="application/zip"),
        f"挂牌材料-{listing.product.code}-{listing.code}.zip",
        fallback=f"dossier-{listing.code}.zip",
    )


@requires(Perm.PRODUCT_REGULATE, methods=POST)
def objection_answer(request, pk: int):
    objection = get_object_or_404(ListingObjection.objects.select_related("listing"), pk=pk)
    return perform(
        request,
        lambda: listings.answer_objection(
            objection,
            by=request.user,
            response=request.POST.get("response", ""),
            upheld=request.POST.get("upheld") == "yes",
        ),
        _("异议已答复。"),
        ("market:listing_detail", objection.listing.code),
    )


# --- Registrations (the bureau) ------------------------------------------------------------------


@requires(Perm.PRODUCT_VIEW_ALL)
def registrations(request):
    rows = ProductRegistration.objects.select_related("product__operator", "decided_by")
    status = request.GET.get("status", "")
    if status in RegistrationStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "market/registrations.html",
        {
            "page": Paginator(rows, 30).get_page(request.GET.get("page")),
            "statuses": RegistrationStatus.choices,
            "status": status,
            "today": timezone.localdate(),
        },
    )


@requires(Perm.PRODUCT_REGULATE, methods=POST)
def registration_decide(request, pk: int):
    registration = get_object_or_404(ProductRegistration, pk=pk)
    decision = request.POST.get("decision", "")
    confirm = decision == "confirm"

    def decide():
        if decision not in ("confirm", "reject"):
            raise RuleViolation(_("请选择确认登记或不予登记。"))
        return listings.decide_registration(
            registration, by=request.user, confirm=confirm, note=request.POST.get("note", "")
        )

    return perform(
        request,
        decide,
        _("已确认登记。") if confirm else _("已决定不予登记。"),
        "market:registrations",
    )


@requires(Perm.PRODUCT_REGULATE, methods=("GET", "HEAD", "POST"))
def related(request):
    if request.method == "POST":
        return perform(
            request,
            lambda: orders.declare_related(
                by=request.user,
                name=request.POST.get("name", ""),
                credit_codes=request.POST.get("credit_codes", "").replace("，", ",").split(","),
                reason=request.POST.get("reason", ""),
            ),
            _("关联方已认定。"),
            "market:related",
        )
    groups = list(RelatedGroup.objects.select_related("declared_by"))
    codes = {code for group in groups for code in group.credit_codes}
    names = dict(
        Organisation.objects.filter(credit_code__in=codes).values_list("credit_code", "name")
    )
    for group in groups:
        group.members = [(code, names.get(code, "")) for code in group.credit_codes]
    return render(request, "market/related.html", {"groups": groups})


# --- Orders -----------------------------------------------------------------------------------


@requires(Perm.PRODUCT_SUBSCRIBE, methods=POST)
def order_place(request, code: str):
    found = get_object_or_404(_tradeable(), code=code)
    post = request.POST
    try:
        plan = PricePlan.objects.get(pk=_whole(post.get("plan", "")), product=found)
        months = _whole(post.get("months", ""))
        quantity = _whole(post.get("quantity", "") or "0")
    except (PricePlan.DoesNotExist, ValueError):
        messages.error(request, _("请选择价格方案，并以整数填写服务期限和购买数量。"))
        return redirect("market:product", found.code)
    listing = None
    if post.get("venue") == Venue.ON:
        try:
            listing = Listing.objects.filter(pk=_whole(post.get("listing", "")), product=found)
            listing = listing.first()
        except ValueError:
            listing = None
        if listing is None:
            messages.error(request, _("请选择挂牌的交易场所。"))
            return redirect("market:product", found.code)
    return perform(
        request,
        lambda: orders.place(
            found,
            by=request.user,
            plan=plan,
            months=months,
            quantity=quantity,
            listing=listing,
            exchange_order_no=post.get("exchange_order_no", ""),
        ),
        _("订单已提交，合同已生成，请签署。"),
        lambda order: ("market:order_detail", order.code),
        back=("market:product", found.code),
    )


@requires_login()
def order_list(request):
    user = request.user
    if not (
        user.has_perm(Perm.PRODUCT_VIEW_ALL)
        or user.has_perm(Perm.PRODUCT_MANAGE)
        or user.has_perm(Perm.PRODUCT_SUBSCRIBE)
    ):
        raise Http404
    rows = orders.visible(user).select_related("product", "consumer", "operator", "listing")
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        rows = rows.filter(status=status)
    venue = request.GET.get("venue", "")
    if venue in Venue.values:
        rows = rows.filter(venue=venue)
    return render(
        request,
        "market/orders.html",
        {
            "page": Paginator(rows, 30).get_page(request.GET.get("page")),
            "statuses": OrderStatus.choices,
            "venues": Venue.choices,
            "status": status,
            "venue": venue,
        },
    )


def _order(request, code: str) -> Order:
    return get_object_or_404(
        orders.visible(request.user).select_related(
            "product", "plan", "consumer", "operator", "listing", "subscription"
        ),
        code=code,
    )


@requires_login()
def order_detail(request, code: str):
    order = _order(request, code)
    ok, checks = orders.verify(order)
    organisation_id = request.user.organisation_id
    return render(
        request,
        "market/order_detail.html",
        {
            "order": order,
            "amount": documents.amount(order.amount_fen),
            "verified": ok,
            "checks": checks,
            "buyer": organisation_id == order.consumer_id,
            "seller": organisation_id == order.operator_id,
            "signed": order.signatures.filter(organisation_id=organisation_id).exists(),
            "O": OrderStatus,
            "today": timezone.localdate(),
        },
    )


@requires_login()
def order_contract(request, code: str, fmt: str):
    order = _order(request, code)
    if fmt not in ("pdf", "docx"):
        raise Http404
    return attach(
        HttpResponse(papers.render(contracts.paper(order), fmt), content_type=papers.TYPES[fmt]),
        f"数据产品交易合同-{order.code}.{fmt}",
        fallback=f"contract-{order.code}.{fmt}",
    )


def _order_action(request, code: str, action, success: str):
    order = _order(request, code)
    return perform(
        request,
        lambda: action(order),
        success,
        ("market:order_detail", order.code),
    )


@requires_login(methods=POST)
def order_sign(request, code: str):
    return _order_action(
        request, code, lambda o: orders.sign(o, by=request.user), _("合同已签署。")
    )


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def order_pay(request, code: str):
    post = request.POST

    def record(order):
        try:
            paid_on = date.fromisoformat(post.get("paid_on", "").strip())
        except ValueError:
            raise RuleViolation(_("请填写有效的付款日期（年-月-日）。")) from None
        return orders.record_payment(
            order,
            by=request.user,
            paid_on=paid_on,
            amount=post.get("amount", ""),
            reference=post.get("reference", ""),
        )

    return _order_action(request, code, record, _("付款已登记，等待买方确认。"))


@requires(Perm.PRODUCT_SUBSCRIBE, methods=POST)
def order_confirm(request, code: str):
    return _order_action(
        request,
        code,
        lambda o: orders.confirm_payment(o, by=request.user),
        _("付款已确认，数据产品已交付。"),
    )


@requires(Perm.PRODUCT_SUBSCRIBE, methods=POST)
def order_accept(request, code: str):
    return _order_action(
        request, code, lambda o: orders.accept(o, by=request.user), _("已验收，订单已结算。")
    )


@requires(Perm.PRODUCT_SUBSCRIBE, methods=POST)
def order_dispute(request, code: str):
    return _order_action(
        request,
        code,
        lambda o: orders.dispute(o, by=request.user, reason=request.POST.get("reason", "")),
        _("争议已提交，市数据局将协调处理。"),
    )


@requires(Perm.PRODUCT_REGULATE, methods=POST)
def order_resolve(request, code: str):
    post = request.POST
    return _order_action(
        request,
        code,
        lambda o: orders.resolve(
            o,
            by=request.user,
            refund=post.get("outcome") == "refund",
            resolution=post.get("resolution", ""),
            reference=post.get("reference", ""),
        ),
        _("争议已处理。"),
    )


@requires_login(methods=POST)
def order_cancel(request, code: str):
    return _order_action(
        request,
        code,
        lambda o: orders.cancel(o, by=request.user, reason=request.POST.get("reason", "")),
        _("订单已取消。"),
    )


# --- 存量服务摸底 -------------------------------------------------------------------------------


def _sees_surveys(user) -> bool:
    return user.has_perm(Perm.PRODUCT_VIEW_ALL) or user.has_perm(Perm.CATALOGUE_SUPPLY)


@requires_login()
def survey_list(request):
    if not _sees_surveys(request.user):
        raise Http404
    surveys = ServiceSurvey.objects.annotate(
        declared=Count("services", distinct=True), returned=Count("returns", distinct=True)
    )
    return render(
        request,
        "market/surveys.html",
        {"surveys": surveys, "today": timezone.localdate(), "minimum": timezone.localdate()},
    )


@requires(Perm.PRODUCT_REGULATE, methods=POST)
def survey_open(request):
    try:
        deadline = date.fromisoformat(request.POST.get("deadline", "").strip())
    except ValueError:
        messages.error(request, _("请填写有效的截止日期（年-月-日）。"))
        return redirect("market:surveys")
    return perform(
        request,
        lambda: survey.open_survey(
            by=request.user,
            title=request.POST.get("title", ""),
            deadline=deadline,
            instructions=request.POST.get("instructions", ""),
        ),
        _("摸底已发起，已通知各数据提供部门。"),
        lambda made: ("market:survey_detail", made.code),
        back="market:surveys",
    )


@requires_login()
def survey_detail(request, code: str):
    user = request.user
    if not _sees_surveys(user):
        raise Http404
    found = get_object_or_404(ServiceSurvey, code=code)
    regulator = user.has_perm(Perm.PRODUCT_VIEW_ALL)
    services = (survey.returned(found) if regulator else found.services).select_related(
        "provider", "migration"
    )
    if not regulator:
        services = services.filter(provider_id=user.organisation_id)
    services = list(services.prefetch_related("resources"))
    if regulator and user.has_perm(Perm.PRODUCT_REGULATE):
        for service in services:
            migration = getattr(service, "migration", None)
            if migration is not None and migration.closed_at is None:
                service.replacements = survey.replacements(service)
    context = {
        "survey": found,
        "services": services,
        "regulator": regulator,
        "returned": found.returns.filter(provider_id=user.organisation_id).first(),
        "figures": survey.statistics(found) if regulator else None,
        "overdue": survey.overdue_providers(found) if regulator else [],
        "returns": found.returns.select_related("provider") if regulator else [],
        "recipient_types": RecipientType.choices,
        "methods": ServiceMethod.choices,
        "dispositions": [c for c in Disposition.choices if c[0] != Disposition.PENDING],
        "own_resources": Resource.objects.filter(provider_id=user.organisation_id).order_by("code")
        if user.has_perm(Perm.CATALOGUE_SUPPLY)
        else [],
        "problems": [],
        "today": timezone.localdate(),
        "D": Disposition,
    }
    context["late"] = (
        not regulator
        and context["returned"] is None
        and found.status == "open"
        and found.deadline < context["today"]
    )
    return render(request, "market/survey_detail.html", context)


@requires(Perm.CATALOGUE_SUPPLY, methods=POST)
def survey_declare(request, code: str):
    found = get_object_or_404(ServiceSurvey, code=code)
    post = request.POST
    values = {attr: post.get(attr, "") for _h, attr, *_ in survey.COLUMNS}
    values["resources"] = ",".join(post.getlist("resources"))
    values["charged"] = post.get("charged") == "yes"
    return perform(
        request,
        lambda: survey.declare(found, by=request.user, **values),
        _("服务已申报。"),
        ("market:survey_detail", found.code),
    )


@requires(Perm.CATALOGUE_SUPPLY)
def survey_template(request, code: str):
    found = get_object_or_404(ServiceSurvey, code=code)
    return attach(
        HttpResponse(survey.template(request.user.organisation), content_type=papers.EXCEL),
        f"存量数据服务填报模板-{found.code}.xlsx",
        fallback=f"survey-{found.code}.xlsx",
    )


@requires(Perm.CATALOGUE_SUPPLY, methods=POST)
def survey_import(request, code: str):
    found = get_object_or_404(ServiceSurvey, code=code)
    upload = request.FILES.get("file")
    if upload is None or not upload.name.lower().endswith(".xlsx"):
        messages.error(request, _("请上传填好的 .xlsx 填报模板。"))
        return redirect("market:survey_detail", found.code)
    try:
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
            handle.flush()
            made = survey.import_rows(found, Path(handle.name), by=request.user)
    except WorkbookProblems as error:
        messages.error(request, _("导入未完成：工作簿中有问题，未申报任何服务。"))
        for problem in error.problems[:50]:
            messages.error(request, str(problem))
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已从 Excel 申报 %(n)s 项服务。") % {"n": len(made)})
    return redirect("market:survey_detail", found.code)


@requires(Perm.CATALOGUE_SUPPLY, methods=POST)
def survey_return(request, code: str):
    found = get_object_or_404(ServiceSurvey, code=code)
    page = unconfirmed(
        request,
        title=_("报送存量服务摸底"),
        consequences=[
            _("本单位申报的 %(n)s 项服务将报送市数据局，报送后不能再修改或撤回。")
            % {"n": found.services.filter(provider_id=request.user.organisation_id).count()}
        ],
        back=reverse("market:survey_detail", args=[found.code]),
    )
    if page is not None:
        return page
    return perform(
        request,
        lambda: survey.submit_return(found, by=request.user),
        _("已报送，申报内容不能再修改。"),
        ("market:survey_detail", found.code),
    )


@requires(Perm.PRODUCT_VIEW_ALL)
def survey_export(request, code: str):
    found = get_object_or_404(ServiceSurvey, code=code)
    return attach(
        HttpResponse(survey.export(found), content_type=papers.EXCEL),
        f"存量数据服务摸底-{found.code}.xlsx",
        fallback=f"survey-{found.code}.xlsx",
    )


@requires(Perm.CATALOGUE_SUPPLY, methods=POST)
def service_withdraw(request, pk: int):
    service = get_object_or_404(
        ExistingService.objects.filter(provider_id=request.user.organisation_id), pk=pk
    )
    return perform(
        request,
        lambda: survey.withdraw(service, by=request.user),
        _("申报已撤回。"),
        ("market:survey_detail", service.survey.code),
    )


@requires(Perm.PRODUCT_REGULATE, methods=POST)
def service_decide(request, pk: int):
    service = get_object_or_404(ExistingService, pk=pk)
    return perform(
        request,
        lambda: survey.decide(
            service,
            by=request.user,
            disposition=request.POST.get("disposition", ""),
            note=request.POST.get("note", ""),
        ),
        _("处置意见已登记。"),
        ("market:survey_detail", service.survey.code),
    )


@requires(Perm.PRODUCT_REGULATE, methods=POST)
def migration_close(request, pk: int):
    task = get_object_or_404(MigrationTask.objects.select_related("service__survey"), pk=pk)
    authorization_code, _bar, product_code = request.POST.get("pair", "").partition("|")
    return perform(
        request,
        lambda: survey.close_migration(
            task,
            by=request.user,
            authorization=Authorization.objects.filter(code=authorization_code).first(),
            product=Product.objects.filter(code=product_code).first(),
        ),
        _("迁移任务已完成。"),
        ("market:survey_detail", task.service.survey.code),
    )


# --- 数据商与第三方专业服务机构 ------------------------------------------------------------------


@public()
def firms(request):
    category = request.GET.get("category", "")
    user = request.user
    own = (
        FirmApplication.objects.filter(organisation_id=user.organisation_id)
        if user.is_authenticated and user.organisation_id
        else []
    )
    return render(
        request,
        "market/firms.html",
        {
            "entries": firm_services.directory(category),
            "categories": FirmCategory.choices,
            "category": category,
            "cultivated": firm_services.cultivated(),
            "target": firm_services.TARGET,
            "own": own,
            "may_apply": user.is_authenticated
            and user.organisation is not None
            and user.organisation.type in firm_services.APPLICANTS,
        },
    )


@requires_login(methods=POST)
def firm_apply(request):
    post = request.POST
    return perform(
        request,
        lambda: firm_services.apply(
            by=request.user,
            category=post.get("category", ""),
            qualifications=post.get("qualifications", ""),
            certificates=post.get("certificates", ""),
            contact=post.get("contact", ""),
        ),
        _("入库申请已提交，等待市数据局核验。"),
        "market:firms",
    )


@requires(Perm.PRODUCT_VIEW_ALL)
def firms_review(request):
    return render(
        request,
        "market/firms_review.html",
        {"applications": FirmApplication.objects.select_related("organisation", "decided_by")},
    )


@requires(Perm.PRODUCT_REGULATE, methods=POST)
def firm_decide(request, pk: int):
    application = get_object_or_404(FirmApplication, pk=pk)
    decision = request.POST.get("decision", "")

    def decide():
        if decision not in ("verify", "reject", "revoke"):
            raise RuleViolation(_("请选择核验入库、不予入库或撤销入库。"))
        return firm_services.decide(
            application,
            by=request.user,
            verify=decision == "verify",
            note=request.POST.get("note", ""),
        )

    return perform(
        request,
        decide,
        _("核验结果已登记。"),
        "market:firms_review",
    )
