"""Pages of products and delivery: the public market, the operator's products and their
review, consumers' subscriptions and credentials, delivery records, and leak tracing."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation
from pdao.authorization.choices import AuthorizationStatus
from pdao.core.access import public, rate_limited, requires, requires_login
from pdao.core.confirm import unconfirmed
from pdao.core.context import client_ip
from pdao.core.downloads import attach
from pdao.core.htmx import is_htmx
from pdao.core.lists import listing
from pdao.core.permissions import Perm
from pdao.core.posts import perform
from pdao.core.rules import RuleViolation
from pdao.products import caps, editions, gateway, leaks, params, services
from pdao.products.choices import Check, ProductStatus, SignOff
from pdao.products.filtersets import (
    DELIVERY_COLUMNS,
    PRODUCT_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    DeliveryFilter,
    ProductFilter,
    SubscriptionFilter,
    with_usage,
)
from pdao.products.forms import (
    ConsumerRegistrationForm,
    PlanForm,
    ProductForm,
    ReportForm,
    TraceForm,
)
from pdao.products.models import (
    ComplianceReview,
    Credential,
    Delivery,
    Product,
    ReportEdition,
    Subscription,
)
from pdao.zone import services as zone_services
from pdao.zone.models import ZoneQuery

GET_POST = ("GET", "HEAD", "POST")
POST = ("POST",)


def _listed():
    return Product.objects.filter(
        status=ProductStatus.LISTED,
        authorization__status=AuthorizationStatus.ACTIVE,
        frozen_at__isnull=True,
    ).select_related("operator", "authorization")


def _visible(user):
    """Products a user may open: listed ones for anyone; own, in-review (for reviewers and the
    supervisor) or all (bureau, supervisor, taskforce) for the signed-in."""
    if not user.is_authenticated:
        return _listed()
    if user.has_perm(Perm.PRODUCT_VIEW_ALL):
        return Product.objects.all()
    q = Q(status=ProductStatus.LISTED, authorization__status=AuthorizationStatus.ACTIVE)
    if user.has_perm(Perm.PRODUCT_MANAGE):
        q |= Q(operator_id=user.organisation_id)
    if user.has_perm(Perm.PRODUCT_REVIEW) or user.has_perm(Perm.PRODUCT_SUPERVISE):
        q |= Q(status=ProductStatus.REVIEW)
    if user.has_perm(Perm.PRODUCT_SUBSCRIBE):
        q |= Q(subscriptions__consumer_id=user.organisation_id)
    return Product.objects.filter(q).distinct()


def _own_product(request, code: str) -> Product:
    return get_object_or_404(
        Product.objects.filter(operator_id=request.user.organisation_id), code=code
    )


def _fail(request, error: RuleViolation, code: str):
    messages.error(request, str(error))
    return redirect("products:product_detail", code)


# --- Market and products ----------------------------------------------------------------------


@public()
def market(request):
    products = _listed().prefetch_related("plans")
    if request.GET.get("q"):
        term = request.GET["q"][:50]
        products = products.filter(Q(name__icontains=term) | Q(summary__icontains=term))
    return render(request, "products/market.html", {"products": products})


@public()
def product_detail(request, code: str):
    product = get_object_or_404(
        _visible(request.user).select_related("operator", "authorization__application"), code=code
    )
    user = request.user
    own = user.is_authenticated and product.operator_id == user.organisation_id
    review = product.reviews.prefetch_related("signoffs__user").first()
    context = {
        "cap_outlook": caps.outlooks(product)
        if request.user.has_perm(Perm.PRODUCT_REGULATE)
        else [],
        "product": product,
        "own": own,
        "plans": product.plans.filter(is_active=True),
        "specs": params.parse_specs(product.parameters),
        "review": review,
        "check_labels": dict(Check.choices),
        "signed_roles": {s.role for s in review.signoffs.all()} if review else set(),
        "S": ProductStatus,
        "plan_form": PlanForm(free=product.is_free) if own else None,
        "subscription": None,
        "editions": product.editions.select_related("reviewed_by")[:12]
        if product.kind == "report"
        else [],
        "may_review_editions": user.is_authenticated
        and not own
        and (user.has_perm(Perm.PRODUCT_REVIEW) or user.has_perm(Perm.PRODUCT_SUPERVISE)),
    }
    if user.is_authenticated and user.has_perm(Perm.PRODUCT_SUBSCRIBE):
        context["subscription"] = product.subscriptions.filter(
            consumer_id=user.organisation_id, status="active"
        ).first()
    if own and request.GET.get("tested"):
        context["tested"] = ZoneQuery.objects.filter(
            authorization=product.authorization, pk=request.GET["tested"]
        ).first()
    return render(request, "products/product_detail.html", context)


@requires(Perm.PRODUCT_MANAGE)
def mine(request):
    return listing(
        request,
        Product.objects.filter(operator_id=request.user.organisation_id).select_related(
            "operator", "authorization"
        ),
        ProductFilter,
        "products/product_list.html",
        columns=PRODUCT_COLUMNS,
        title=_("本单位数据产品"),
        context={"mine": True},
    )


@requires(Perm.PRODUCT_VIEW_ALL)
def all_products(request):
    return listing(
        request,
        Product.objects.select_related("operator", "authorization"),
        ProductFilter,
        "products/product_list.html",
        columns=PRODUCT_COLUMNS,
        title=_("全部数据产品"),
    )


def _definition(form) -> dict:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "summary": data["summary"],
        "kind": data["kind"],
        "form": data["form"],
        "sql": data["sql"],
        "parameters": data["parameters"],
        "output_columns": data["output_columns"],
        "key_column": data["key_column"],
        "epsilon_per_call": data["epsilon_per_call"],
    }


@requires(Perm.PRODUCT_MANAGE, methods=GET_POST)
def product_create(request):
    form = ProductForm(request.POST or None, operator=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.create_product(
                by=request.user,
                authorization=form.cleaned_data["authorization"],
                **_definition(form),
            )
        except RuleViolation as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已创建产品草稿 %(code)s。") % {"code": product.code})
            return redirect("products:product_detail", product.code)
    return render(request, "products/product_form.html", {"form": form})


@requires(Perm.PRODUCT_MANAGE, methods=GET_POST)
def product_edit(request, code: str):
    product = _own_product(request, code)
    initial = {**services.definition(product), "summary": product.summary}
    initial["authorization"] = product.authorization
    form = ProductForm(request.POST or None, initial=initial, operator=request.user.organisation)
    form.fields["authorization"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.update_product(product, by=request.user, **_definition(form))
        except RuleViolation as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已保存。"))
            return redirect("products:product_detail", product.code)
    return render(request, "products/product_form.html", {"form": form, "product": product})


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def product_test(request, code: str):
    """Run the template once in the zone with the given values, recorded like any zone query;
    the operator sees what the engine released."""
    product = _own_product(request, code)
    values = {s.name: request.POST.get(s.name, "") for s in params.parse_specs(product.parameters)}
    try:
        typed = params.validate(params.parse_specs(product.parameters), values)
        query = zone_services.run_query(
            product.authorization,
            by=request.user,
            sql=params.bind(product.sql, typed),
            form=product.form,
            epsilon=product.epsilon_per_call,
        )
    except params.ParamError as error:
        messages.error(request, "; ".join(f"{p.name}:{p.zh}" for p in error.problems))
        return redirect("products:product_detail", code)
    except RuleViolation as error:
        return _fail(request, error, code)
    detail = reverse("products:product_detail", args=[product.code])
    return redirect(f"{detail}?tested={query.pk}")


def _post_action(request, code: str, action, success: str, *, own: bool = True):
    product = _own_product(request, code) if own else get_object_or_404(Product, code=code)
    return perform(request, lambda: action(product), success, ("products:product_detail", code))


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def product_submit(request, code: str):
    return _post_action(
        request,
        code,
        lambda p: services.submit_for_review(p, by=request.user),
        _("已提交合规审查。"),
    )


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def product_list_action(request, code: str):
    return _post_action(
        request, code, lambda p: services.list_product(p, by=request.user), _("产品已上架。")
    )


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def product_delist(request, code: str):
    return _post_action(
        request,
        code,
        lambda p: services.delist_product(
            p, by=request.user, reason=request.POST.get("reason", "")
        ),
        _("产品已下架。"),
    )


@requires(Perm.PRODUCT_REGULATE, methods=POST)
def product_delist_by_bureau(request, code: str):
    page = unconfirmed(
        request,
        title=_("责令下架 %(code)s") % {"code": code},
        consequences=[
            _("产品立即下架，订阅方的调用被拒绝"),
            _("运营单位须重新提交合规审查后才能再次上架"),
            _("下架连同理由记入审计日志并上链存证"),
        ],
        back=reverse("products:product_detail", args=[code]),
    )
    if page is not None:
        return page
    return _post_action(
        request,
        code,
        lambda p: services.delist_product(
            p, by=request.user, reason=request.POST.get("reason", "")
        ),
        _("产品已下架。"),
        own=False,
    )


@requires(Perm.PRODUCT_REGULATE, methods=POST)
def product_cap(request, code: str):
    try:
        cap = Decimal(request.POST.get("cap", ""))
        volume_text = request.POST.get("expected_volume", "").strip().replace(",", "")
        volume = int(volume_text) if volume_text else None
    except (InvalidOperation, ValueError):
        messages.error(request, _("请输入金额和整数的预计年计费量。"))
        return redirect("products:product_detail", code)
    return _post_action(
        request,
        code,
        lambda p: services.set_price_cap(p, by=request.user, cap=cap, expected_volume=volume),
        _("已设定上限收费标准。"),
        own=False,
    )


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def plan_add(request, code: str):
    product = _own_product(request, code)
    form = PlanForm(request.POST, free=product.is_free)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("products:product_detail", code)
    fields = {k: v for k, v in form.cleaned_data.items()}
    return _post_action(
        request,
        code,
        lambda p: services.save_plan(p, by=request.user, **fields),
        _("已发布价格方案。"),
    )


# --- Reviews ----------------------------------------------------------------------------------


def _queue(request, role: str, title: str):
    reviews = (
        ComplianceReview.objects.filter(outcome=ComplianceReview.Outcome.PENDING)
        .exclude(product__operator_id=request.user.organisation_id)
        .select_related("product__operator")
        .prefetch_related("signoffs")
    )
    return render(
        request, "products/reviews.html", {"reviews": reviews, "role": role, "title": title}
    )


@requires(Perm.PRODUCT_REVIEW)
def reviews(request):
    return _queue(request, SignOff.REVIEWER, _("产品合规审查"))


@requires(Perm.PRODUCT_SUPERVISE)
def security_reviews(request):
    return _queue(request, SignOff.SUPERVISOR, _("产品安全审查"))


def _sign(request, pk: int, role: str):
    review = get_object_or_404(ComplianceReview.objects.select_related("product"), pk=pk)
    return perform(
        request,
        lambda: services.sign_review(
            review,
            by=request.user,
            role=role,
            approved=request.POST.get("approved") == "yes",
            note=request.POST.get("note", ""),
        ),
        _("已签署审查意见。"),
        ("products:product_detail", review.product.code),
    )


@requires(Perm.PRODUCT_REVIEW, methods=POST)
def sign_as_reviewer(request, pk: int):
    return _sign(request, pk, SignOff.REVIEWER)


@requires(Perm.PRODUCT_SUPERVISE, methods=POST)
def sign_as_supervisor(request, pk: int):
    return _sign(request, pk, SignOff.SUPERVISOR)


# --- Consumers --------------------------------------------------------------------------------


@requires(Perm.PRODUCT_SUBSCRIBE, methods=POST)
def subscribe(request, code: str):
    product = get_object_or_404(_listed(), code=code)
    plan = product.plans.filter(pk=request.POST.get("plan") or 0).first()
    try:
        months = int(request.POST.get("months", "12"))
        if plan is None:
            raise RuleViolation(_("请选择价格方案。"))
        services.subscribe(product, by=request.user, plan=plan, months=months)
    except ValueError:
        messages.error(request, _("订阅期限应为整数月。"))
        return redirect("products:product_detail", code)
    except RuleViolation as error:
        return _fail(request, error, code)
    messages.success(request, _("订阅成功。请在“调用凭证”中创建凭证后通过网关调用。"))
    return redirect("products:subscriptions")


@requires(Perm.PRODUCT_SUBSCRIBE)
def subscriptions(request):
    return listing(
        request,
        with_usage(
            Subscription.objects.filter(consumer_id=request.user.organisation_id).select_related(
                "product", "plan"
            )
        ),
        SubscriptionFilter,
        "products/subscriptions.html",
        columns=SUBSCRIPTION_COLUMNS,
        title=_("我的订阅"),
    )


@requires(Perm.PRODUCT_SUBSCRIBE, methods=POST)
def subscription_cancel(request, code: str):
    subscription = get_object_or_404(
        Subscription.objects.filter(consumer_id=request.user.organisation_id), code=code
    )
    return perform(
        request,
        lambda: services.cancel_subscription(subscription, by=request.user),
        _("已退订。"),
        "products:subscriptions",
    )


ONCE = "pdao_secret_once"


@requires(Perm.PRODUCT_SUBSCRIBE, methods=GET_POST)
def credentials(request):
    """The consumer's OAuth2 clients. A new or rotated secret is handed from the POST to the
    next GET through the session and removed from it there: shown once, and a reload of the
    page neither shows it again nor creates another credential."""
    if request.method == "POST":
        try:
            credential, secret = services.create_credential(
                by=request.user, name=request.POST.get("name", "")
            )
        except RuleViolation as error:
            messages.error(request, str(error))
        else:
            request.session[ONCE] = [credential.application.client_id, secret]
        return redirect("products:credentials")
    once = request.session.pop(ONCE, None)
    rows = Credential.objects.filter(organisation_id=request.user.organisation_id).select_related(
        "application"
    )
    return render(
        request,
        "products/credentials.html",
        {
            "credentials": rows,
            "client_id": once[0] if once else None,
            "secret": once[1] if once else None,
        },
    )


@requires(Perm.PRODUCT_SUBSCRIBE, methods=POST)
def credential_rotate(request, pk: int):
    credential = get_object_or_404(
        Credential.objects.filter(organisation_id=request.user.organisation_id), pk=pk
    )
    try:
        secret = services.rotate_credential(credential, by=request.user)
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        request.session[ONCE] = [credential.application.client_id, secret]
    return redirect("products:credentials")


@requires(Perm.PRODUCT_SUBSCRIBE, methods=POST)
def credential_revoke(request, pk: int):
    credential = get_object_or_404(
        Credential.objects.filter(organisation_id=request.user.organisation_id), pk=pk
    )
    page = unconfirmed(
        request,
        title=_("吊销调用凭证「%(name)s」") % {"name": credential.name},
        consequences=[
            _("凭证立即失效，用它取得的访问令牌同时作废"),
            _("使用该凭证的系统将无法调用数据产品，直到换用新的凭证"),
            _("吊销不能撤回"),
        ],
        back=reverse("products:credentials"),
    )
    if page is not None:
        return page
    try:
        services.revoke_credential(
            credential, by=request.user, reason=request.POST.get("reason", "")
        )
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("凭证已吊销。"))
    return redirect("products:credentials")


# --- Deliveries and leaks ---------------------------------------------------------------------


@requires_login()
def deliveries(request):
    user = request.user
    rows = Delivery.objects.select_related("product", "subscription", "consumer", "batch")
    # What the filters offer comes from the small tables, never a scan of the deliveries.
    products = Product.objects.all()
    consumers = Organisation.objects.filter(type=OrganisationType.CONSUMER)
    if user.has_perm(Perm.PRODUCT_VIEW_ALL):
        pass
    elif user.has_perm(Perm.PRODUCT_MANAGE):
        rows = rows.filter(product__operator_id=user.organisation_id)
        products = products.filter(operator_id=user.organisation_id)
        consumers = consumers.filter(
            pk__in=Subscription.objects.filter(product__operator_id=user.organisation_id).values(
                "consumer_id"
            )
        )
    elif user.has_perm(Perm.PRODUCT_SUBSCRIBE):
        rows = rows.filter(consumer_id=user.organisation_id)
        products = products.filter(
            pk__in=Subscription.objects.filter(consumer_id=user.organisation_id).values(
                "product_id"
            )
        )
        consumers = consumers.filter(pk=user.organisation_id)
    else:  # a role that neither sells nor buys nor supervises has no deliveries to see
        rows, products, consumers = rows.none(), products.none(), consumers.none()
    return listing(
        request,
        rows,
        DeliveryFilter,
        "products/deliveries.html",
        columns=DELIVERY_COLUMNS,
        title=_("交付记录"),
        filter_kwargs={"products": products, "consumers": consumers},
    )


@requires(Perm.PRODUCT_SUPERVISE, methods=GET_POST)
def trace(request):
    form = TraceForm(request.POST or None, request.FILES or None)
    findings = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > leaks.MAX_BYTES:
            form.add_error("file", _("文件超过 50 MB。"))
        else:
            try:
                findings = leaks.trace_leak(
                    upload.read(),
                    by=request.user,
                    product_code=form.cleaned_data["product"].strip(),
                    key_column=request.POST.get("key_column", "").strip()[:64],
                )
            except RuleViolation as error:
                form.add_error(None, str(error))
    return render(
        request,
        "products/trace.html",
        {"form": form, "findings": findings, "accuse": leaks.ACCUSE},
    )


# --- Reports ----------------------------------------------------------------------------------


@requires(Perm.PRODUCT_MANAGE, methods=GET_POST)
def report_create(request):
    form = ReportForm(request.POST or None, operator=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            product = editions.create_report(
                by=request.user,
                authorization=form.cleaned_data["authorization"],
                name=form.cleaned_data["name"],
                summary=form.cleaned_data["summary"],
                sections=form.cleaned_data["sections"],
            )
        except RuleViolation as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已创建报告产品草稿 %(code)s。") % {"code": product.code})
            return redirect("products:product_detail", product.code)
    return render(request, "products/report_form.html", {"form": form})


@requires(Perm.PRODUCT_MANAGE, methods=POST)
def edition_generate(request, code: str):
    """The edition is made by the task worker; the progress page follows it."""
    product = _own_product(request, code)
    try:
        editions.queue_edition(product, by=request.user)
    except editions.GenerationPending as error:
        messages.error(request, str(error))  # and show the one that is on its way
    except RuleViolation as error:
        return _fail(request, error, code)
    return redirect("products:edition_progress", code)


@requires(Perm.PRODUCT_MANAGE)
def edition_progress(request, code: str):
    """生成进度: the latest generation of an own report (the fragment polls itself)."""
    product = _own_product(request, code)
    context = {"product": product, "generation": editions.generation(product)}
    if is_htmx(request):
        return render(request, "products/_edition_progress.html", context)
    return render(request, "products/edition_progress.html", context)


def _review_edition(request, pk: int):
    edition = get_object_or_404(ReportEdition.objects.select_related("product"), pk=pk)
    return perform(
        request,
        lambda: editions.review_edition(
            edition,
            by=request.user,
            approve=request.POST.get("approved") == "yes",
            note=request.POST.get("note", ""),
        ),
        _("已完成出域审核。"),
        ("products:product_detail", edition.product.code),
    )


@requires(Perm.PRODUCT_REVIEW, methods=POST)
def edition_review_as_reviewer(request, pk: int):
    return _review_edition(request, pk)


@requires(Perm.PRODUCT_SUPERVISE, methods=POST)
def edition_review_as_supervisor(request, pk: int):
    return _review_edition(request, pk)


def _may_read_edition(user, edition: ReportEdition) -> bool:
    """Before release: its operator and the reviewers of outputs; after: the regulators too.
    Consumers get released editions through edition_download (metered)."""
    return (
        edition.product.operator_id == user.organisation_id
        or user.has_perm(Perm.PRODUCT_REVIEW)
        or user.has_perm(Perm.PRODUCT_SUPERVISE)
        or user.has_perm(Perm.PRODUCT_VIEW_ALL)
    )


@requires_login()
def edition_file(request, pk: int, fmt: str):
    """An edition's file for review (not a delivery: consumers download through the gateway
    or edition_download, which meter it)."""
    edition = get_object_or_404(ReportEdition.objects.select_related("product"), pk=pk)
    if fmt not in editions.FORMATS or not _may_read_edition(request.user, edition):
        raise Http404
    try:
        data = editions.read(edition, fmt)
    except (OSError, RuleViolation) as error:
        raise Http404 from error
    response = HttpResponse(data, content_type=editions.FORMATS[fmt])
    attach(
        response,
        f"{edition.product.name}-第{edition.number}期.{fmt}",
        fallback=f"{edition.product.code}-{edition.number}.{fmt}",
    )
    return response


@requires(Perm.PRODUCT_SUBSCRIBE)
def edition_download(request, code: str, fmt: str):
    """A subscribed consumer downloads the latest released edition from the product page:
    the gateway's checks, limits and metering, without a credential."""
    answer = gateway.report(
        code[:40],
        fmt,
        credential=None,
        consumer_id=request.user.organisation_id,
        source_ip=client_ip(request),
    )
    if answer.status != 200:
        messages.error(request, answer.body.get("message", ""))
        return redirect("products:product_detail", code)
    response = HttpResponse(answer.content, content_type=answer.content_type)
    for header, value in answer.headers.items():
        response[header] = value
    return response


# --- Consumer registration --------------------------------------------------------------------


@public(methods=GET_POST)
@rate_limited("5/h")
def consumer_register(request):
    """Companies register themselves as data consumers; the bureau verifies them."""
    form = ConsumerRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org_fields = ("name", "credit_code", "division_code", "contact_name", "contact_phone",
                      "address")  # fmt: skip
        organisation = {k: data[k] for k in org_fields}
        user = {k: data[k] for k in ("username", "display_name", "email", "password")}
        try:
            services.register_consumer(organisation=organisation, user=user)
        except ValidationError as error:
            if hasattr(error, "error_dict"):  # a taken name, code or login; a bad code
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:  # the password policy
                form.add_error("password", error)
        else:
            return render(request, "products/consumer_registered.html", {"name": data["name"]})
    return render(request, "products/consumer_register.html", {"form": form})
