"""Products: draft → 合规审查 (checklist, reviewer and supervisor sign-off) → 备案 (filing
number) → 上架 → 下架; prices under the bureau's cap; consumers' subscriptions and OAuth2
client credentials. Every change is audited; filing, listing and delisting are anchored."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application

from pdao.accounts import services as accounts
from pdao.accounts.choices import OrganisationType
from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization
from pdao.core.codes import next_code
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, add_months, require
from pdao.ledger.services import anchor
from pdao.notifications.services import holders, members, notify
from pdao.products import buyers, caps, params
from pdao.products.checks import price_problem, run_checks
from pdao.products.choices import (
    Charging,
    Check,
    ProductKind,
    ProductStatus,
    SignOff,
    SubscriptionStatus,
)
from pdao.products.models import (
    ComplianceReview,
    Credential,
    PricePlan,
    Product,
    ReviewSignOff,
    Subscription,
)

PRODUCT_CREATE = actions.define("product.create", gettext_lazy("创建数据产品"))
PRODUCT_UPDATE = actions.define("product.update", gettext_lazy("修改数据产品"))
PRODUCT_SUBMIT = actions.define("product.submit", gettext_lazy("提交合规审查"))
PRODUCT_SIGN = actions.define("product.sign", gettext_lazy("合规审查签署"))
PRODUCT_FILE = actions.define("product.file", gettext_lazy("产品备案"))
PRODUCT_LIST = actions.define("product.list", gettext_lazy("产品上架"))
PRODUCT_DELIST = actions.define("product.delist", gettext_lazy("产品下架"))
PRODUCT_CAP = actions.define("product.price_cap", gettext_lazy("设定上限收费标准"))
PLAN_SAVE = actions.define("product.plan", gettext_lazy("发布价格方案"))
SUBSCRIBE = actions.define("product.subscribe", gettext_lazy("订阅数据产品"))
UNSUBSCRIBE = actions.define("product.unsubscribe", gettext_lazy("退订数据产品"))
CREDENTIAL_CREATE = actions.define("credential.create", gettext_lazy("创建调用凭证"))
CREDENTIAL_ROTATE = actions.define("credential.rotate", gettext_lazy("轮换凭证密钥"))
CREDENTIAL_REVOKE = actions.define("credential.revoke", gettext_lazy("吊销调用凭证"))
# Ledger entry types that are not audit actions, by their names (the ledger's pages).
actions.define("delivery.batch", gettext_lazy("产品交付批次"))

EDITABLE = (ProductStatus.DRAFT, ProductStatus.REJECTED)
MAX_TERM_MONTHS = 36


def check_may_manage(product: Product, *, by) -> None:
    """A product is managed only by its operator's people with the right to manage products."""
    require(by, Perm.PRODUCT_MANAGE)
    if product.operator_id != by.organisation_id:
        raise RuleViolation(_("只能管理本单位的数据产品。"))


def _link(product: Product) -> str:
    return reverse("products:product_detail", args=[product.code])


def definition(product: Product) -> dict:
    """The product's reviewed definition: what its filing number stands for."""
    return {
        "code": product.code,
        "name": product.name,
        "kind": product.kind,
        "authorization": product.authorization.code,
        "purpose": product.purpose,
        "form": product.form,
        "sql": product.sql,
        "parameters": product.parameters,
        "output_columns": product.output_columns,
        "sections": product.sections,
        "key_column": product.key_column,
        "epsilon_per_call": product.epsilon_per_call,
    }


def definition_hash(product: Product) -> str:
    canonical = json.dumps(
        definition(product), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- Drafting ---------------------------------------------------------------------------------


API_FORMS = ("aggregate", "dp", "deidentified")


def _validate_definition(authorization: Authorization, fields: dict) -> None:
    kind, form = fields["kind"], fields["form"]
    if kind == ProductKind.REPORT:
        raise RuleViolation(_("数据报告类产品请在“新建数据报告”中创建。"))
    if kind == ProductKind.API and form not in API_FORMS:
        raise RuleViolation(_("数据接口的输出形式应为聚合统计、差分隐私或去标识化记录。"))
    if kind == ProductKind.MODEL and form != "model":
        raise RuleViolation(_("模型输出类产品的输出形式为“模型输出”。"))
    if kind not in ProductKind.values:
        raise RuleViolation(_("未知的产品类型。"))
    try:
        specs = params.parse_specs(fields["parameters"])
        params.check_template(fields["sql"], specs)
    except params.SpecError as error:
        raise RuleViolation(str(error)) from None
    if kind == ProductKind.MODEL and not specs:
        raise RuleViolation(_("模型输出按请求给出一个对象的结果：模板须以参数指明该对象。"))
    columns = fields["output_columns"]
    if not isinstance(columns, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) for c in columns
    ):
        raise RuleViolation(_("输出字段应为列表，每项含 name(可含 label、tolerance)。"))
    if form == "deidentified" and not fields.get("key_column"):
        raise RuleViolation(_("去标识化记录类产品须指定记录标识列（用于水印溯源）。"))
    if form == "dp" and not (0 < fields.get("epsilon_per_call", 0) <= 5):
        raise RuleViolation(_("每个参数组合消耗的 ε 应在 0 到 5 之间。"))


def check_may_build_on(authorization: Authorization, *, by) -> None:
    """A product is built only by the operator holding the authorization, while it is active."""
    require(by, Perm.PRODUCT_MANAGE)
    if authorization.operator_id != by.organisation_id:
        raise RuleViolation(_("只能基于本单位的授权创建产品。"))
    if authorization.status != AuthorizationStatus.ACTIVE:
        raise RuleViolation(_("授权不在有效状态，不能创建产品。"))


@transaction.atomic
def create_product(*, by, authorization: Authorization, **fields) -> Product:
    """A draft product on one of the operator's own active authorizations."""
    check_may_build_on(authorization, by=by)
    _validate_definition(authorization, fields)
    product = Product.objects.create(
        code=next_code("LZ-DP", Product),
        authorization=authorization,
        operator_id=authorization.operator_id,
        purpose=authorization.application.purpose,
        created_by=by,
        **fields,
    )
    record(
        PRODUCT_CREATE,
        by=by,
        target=product,
        changes={"authorization": authorization.code, "kind": product.kind, "form": product.form},
        summary=_("创建数据产品 %(code)s %(name)s") % {"code": product.code, "name": product.name},
    )
    return product


@transaction.atomic
def update_product(product: Product, *, by, **fields) -> Product:
    check_may_manage(product, by=by)
    if product.status not in EDITABLE:
        raise RuleViolation(_("只有草稿或审查未通过的产品可以修改。"))
    merged = {**definition(product), **fields}
    _validate_definition(product.authorization, merged)
    changes = {k: [getattr(product, k), v] for k, v in fields.items() if getattr(product, k) != v}
    for key, value in fields.items():
        setattr(product, key, value)
    product.revision += 1
    product.save()
    record(
        PRODUCT_UPDATE,
        by=by,
        target=product,
        changes={k: "…" if k == "sql" else v for k, v in changes.items()},
        summary=_("修改数据产品 %(code)s") % {"code": product.code},
    )
    return product


# --- Compliance review ------------------------------------------------------------------------


@transaction.atomic
def submit_for_review(product: Product, *, by) -> ComplianceReview:
    check_may_manage(product, by=by)
    if product.status not in EDITABLE:
        raise RuleViolation(_("只有草稿或审查未通过的产品可以提交审查。"))
    checks = run_checks(product)
    failed = [Check(k).label for k, v in checks.items() if not v["passed"]]
    if failed:
        raise RuleViolation(
            _("合规审查清单未通过：%(items)s。请修改后再提交。")
            % {"items": "、".join(map(str, failed))}
        )
    review = ComplianceReview.objects.create(product=product, checks=checks, submitted_by=by)
    Product.objects.filter(pk=product.pk).update(status=ProductStatus.REVIEW, status_reason="")
    product.refresh_from_db()
    record(
        PRODUCT_SUBMIT,
        by=by,
        target=product,
        changes={"review": review.pk, "checks": {k: v["passed"] for k, v in checks.items()}},
        summary=_("数据产品 %(code)s 提交合规审查") % {"code": product.code},
    )
    notify(
        holders(Role.REVIEWER, Role.SUPERVISOR),
        subject=_("数据产品待合规审查：%(name)s") % {"name": product.name},
        body=_("%(op)s 提交了数据产品 %(code)s，请签署审查意见。")
        % {"op": product.operator.name, "code": product.code},
        link=_link(product),
    )
    return review


@transaction.atomic
def sign_review(review: ComplianceReview, *, by, role: str, approved: bool, note: str):
    """A reviewer's or the supervisor's sign-off. One refusal returns the product; the second
    approval files it (备案) with a filing number, anchored on the ledger."""
    perm = Perm.PRODUCT_REVIEW if role == SignOff.REVIEWER else Perm.PRODUCT_SUPERVISE
    require(by, perm)
    review = ComplianceReview.objects.select_for_update().get(pk=review.pk)
    product = review.product
    if review.outcome != ComplianceReview.Outcome.PENDING:
        raise RuleViolation(_("该审查已结束。"))
    if by.organisation_id == product.operator_id:
        raise RuleViolation(_("不能审查本单位的产品（利益冲突）。"))
    if review.signoffs.filter(role=role).exists():
        raise RuleViolation(_("该方的审查意见已签署。"))
    if not note.strip():
        raise RuleViolation(_("请填写审查意见。"))
    ReviewSignOff.objects.create(review=review, role=role, user=by, approved=approved, note=note)
    record(
        PRODUCT_SIGN,
        by=by,
        target=product,
        changes={"review": review.pk, "role": role, "approved": approved},
        summary=_("数据产品 %(code)s 合规审查签署（%(role)s）：%(v)s")
        % {
            "code": product.code,
            "role": SignOff(role).label,
            "v": _("同意") if approved else _("不同意"),
        },
    )
    if not approved:
        review.outcome = ComplianceReview.Outcome.FAILED
        review.save(update_fields=["outcome"])
        Product.objects.filter(pk=product.pk).update(
            status=ProductStatus.REJECTED, status_reason=note
        )
        notify(
            _members_of(product),
            subject=_("数据产品合规审查未通过：%(name)s") % {"name": product.name},
            body=note,
            link=_link(product),
        )
    elif review.signoffs.filter(approved=True).count() == len(SignOff.values):
        review.outcome = ComplianceReview.Outcome.PASSED
        review.save(update_fields=["outcome"])
        _file(product, by=by)
    return review


def _members_of(product: Product):
    return members(product.operator, Role.OPERATOR)


def _file(product: Product, *, by) -> None:
    product.filing_no = next_code("LZ-BA", Product, "filing_no")
    product.filed_at = timezone.now()
    product.status = ProductStatus.FILED
    product.status_reason = ""
    product.save(update_fields=["filing_no", "filed_at", "status", "status_reason"])
    digest = definition_hash(product)
    record(
        PRODUCT_FILE,
        by=by,
        target=product,
        changes={"filing_no": product.filing_no, "definition_sha256": digest},
        summary=_("数据产品 %(code)s 备案，备案编号 %(no)s")
        % {"code": product.code, "no": product.filing_no},
    )
    anchor("product.file", content_hash=digest, by=by, target=product)
    notify(
        _members_of(product),
        subject=_("数据产品已备案：%(name)s") % {"name": product.name},
        body=_("备案编号 %(no)s，可以上架。") % {"no": product.filing_no},
        link=_link(product),
    )


# --- Listing ----------------------------------------------------------------------------------


@transaction.atomic
def list_product(product: Product, *, by) -> Product:
    check_may_manage(product, by=by)
    if product.status not in (ProductStatus.FILED, ProductStatus.DELISTED):
        raise RuleViolation(_("只有已备案的产品可以上架。"))
    if product.authorization.status != AuthorizationStatus.ACTIVE:
        raise RuleViolation(_("授权不在有效状态，产品不能上架。"))
    if not product.plans.filter(is_active=True).exists():
        raise RuleViolation(_("请先发布至少一个价格方案。"))
    product.status = ProductStatus.LISTED
    product.listed_at = timezone.now()
    product.status_reason = ""
    product.save(update_fields=["status", "listed_at", "status_reason"])
    record(
        PRODUCT_LIST,
        by=by,
        target=product,
        changes={"filing_no": product.filing_no},
        summary=_("数据产品 %(code)s 上架") % {"code": product.code},
    )
    anchor("product.list", content_hash=definition_hash(product), by=by, target=product)
    return product


@transaction.atomic
def delist_product(product: Product, *, by, reason: str) -> Product:
    """下架 by its operator, or by the bureau as regulator."""
    if not (by and by.has_perm(Perm.PRODUCT_REGULATE)):
        check_may_manage(product, by=by)
    if product.status != ProductStatus.LISTED:
        raise RuleViolation(_("只有已上架的产品可以下架。"))
    if not reason.strip():
        raise RuleViolation(_("下架须写明理由。"))
    product.status = ProductStatus.DELISTED
    product.status_reason = reason
    product.save(update_fields=["status", "status_reason"])
    record(
        PRODUCT_DELIST,
        by=by,
        target=product,
        changes={"reason": reason},
        summary=_("数据产品 %(code)s 下架") % {"code": product.code},
    )
    anchor("product.delist", content_hash=definition_hash(product), by=by, target=product)
    return product


# --- Prices -----------------------------------------------------------------------------------


@transaction.atomic
def set_price_cap(
    product: Product, *, by, cap: Decimal, expected_volume: int | None = None
) -> Product:
    """上限收费标准: the bureau's ceiling for an 产业 product (公益 products are free), with the
    yearly volume (calls, rows per thousand or months) it expects at that price; cap × volume
    over the operator's products must fit its maximum allowed revenue (`pdao.products.caps`)."""
    require(by, Perm.PRODUCT_REGULATE)
    if product.is_free:
        raise RuleViolation(_("公益类产品免费提供，不设收费标准。"))
    if cap <= 0:
        raise RuleViolation(_("上限收费标准应大于零。"))
    volume = product.expected_volume if expected_volume is None else expected_volume
    if volume < 0:
        raise RuleViolation(_("预计年计费量不能为负数。"))
    found = caps.problems(product, cap, volume)
    if found:
        raise RuleViolation(found[0])
    old = product.price_cap
    product.price_cap, product.expected_volume = cap, volume
    over = [p for p in product.plans.filter(is_active=True) if price_problem(product, p)]
    if over:
        raise RuleViolation(
            _("以下在售方案将高于新上限，请先由运营单位调整：%(names)s")
            % {"names": "、".join(p.name for p in over)}
        )
    product.save(update_fields=["price_cap", "expected_volume"])
    record(
        PRODUCT_CAP,
        by=by,
        target=product,
        changes={
            "price_cap": [str(old) if old is not None else None, str(cap)],
            "expected_volume": volume,
        },
        summary=_("设定数据产品 %(code)s 上限收费标准 %(cap)s 元")
        % {"code": product.code, "cap": cap},
    )
    return product


@transaction.atomic
def save_plan(product: Product, *, by, **fields) -> PricePlan:
    """Publish a price plan (prices are public once the product is listed)."""
    check_may_manage(product, by=by)
    ended = (AuthorizationStatus.REVOKED, AuthorizationStatus.EXPIRED)
    if Authorization.objects.filter(pk=product.authorization_id, status__in=ended).exists():
        raise RuleViolation(_("所依托的授权已终止，不能再发布价格方案。"))
    plan = PricePlan(product=product, **fields)
    if product.is_free and plan.charging != Charging.FREE:
        raise RuleViolation(_("公益类产品只能免费提供。"))
    if not product.is_free and plan.charging == Charging.FREE:
        raise RuleViolation(_("产业类产品按次、按月或按量收费。"))
    tiers = plan.tiers or []
    if not isinstance(tiers, list) or not all(
        isinstance(t, list | tuple) and len(t) == 2 and int(t[0]) > 0 and Decimal(str(t[1])) >= 0
        for t in tiers
    ):
        raise RuleViolation(_("阶梯价格式：[[起始次数，单价], …]，起始次数为正整数。"))
    plan.tiers = sorted([[int(t[0]), str(Decimal(str(t[1])))] for t in tiers])
    problem = price_problem(product, plan)
    if problem:
        raise RuleViolation(problem)
    if plan.rate_per_minute < 1:
        raise RuleViolation(_("每分钟调用上限至少为 1。"))
    plan.save()
    record(
        PLAN_SAVE,
        by=by,
        target=product,
        changes={
            "plan": plan.pk,
            "charging": plan.charging,
            "unit_price": str(plan.unit_price),
            "monthly_fee": str(plan.monthly_fee),
        },
        summary=_("数据产品 %(code)s 发布价格方案“%(name)s”")
        % {"code": product.code, "name": plan.name},
    )
    return plan


def price_of_call(plan: PricePlan, call_number: int, rows: int) -> Decimal:
    """What the `call_number`-th call of the month (1-based) returning `rows` rows costs."""
    if plan.charging in (Charging.FREE, Charging.MONTHLY):
        return Decimal(0)
    unit = Decimal(plan.unit_price)
    for start, price in plan.tiers or []:
        if call_number >= int(start):
            unit = Decimal(str(price))
    if plan.charging == Charging.VOLUME:
        return (unit * rows / 1000).quantize(Decimal("0.0001"))
    return unit


# --- Subscriptions ----------------------------------------------------------------------------


def _consumer(by):
    require(by, Perm.PRODUCT_SUBSCRIBE)
    organisation = by.organisation
    if organisation is None or organisation.type != OrganisationType.CONSUMER:
        raise RuleViolation(_("只有数据使用方可以订阅产品。"))
    if organisation.verified_at is None or not organisation.is_active:
        raise RuleViolation(_("本单位尚未通过核验，暂不能订阅。"))
    return organisation


@transaction.atomic
def subscribe(product: Product, *, by, plan: PricePlan, months: int) -> Subscription:
    """A subscription from today for `months`, never beyond the authorization's term."""
    consumer = _consumer(by)
    if product.status != ProductStatus.LISTED:
        raise RuleViolation(_("该产品未上架。"))
    if plan.product_id != product.pk or not plan.is_active:
        raise RuleViolation(_("该价格方案不可订阅。"))
    refused = buyers.problems(product, consumer)
    if refused:
        raise RuleViolation(refused[0])
    if not 1 <= months <= MAX_TERM_MONTHS:
        raise RuleViolation(_("订阅期限应为 1 至 36 个月。"))
    if Subscription.objects.filter(
        consumer=consumer,
        product=product,
        status=SubscriptionStatus.ACTIVE,
        ends_on__gte=timezone.localdate(),
    ).exists():
        raise RuleViolation(_("本单位已订阅该产品。"))
    today = timezone.localdate()
    ends = min(add_months(today, months) - timedelta(days=1), product.authorization.ends_on)
    subscription = Subscription.objects.create(
        code=next_code("LZ-SUB", Subscription),
        consumer=consumer,
        product=product,
        plan=plan,
        starts_on=today,
        ends_on=ends,
        created_by=by,
    )
    record(
        SUBSCRIBE,
        by=by,
        target=subscription,
        changes={"product": product.code, "plan": plan.name, "ends_on": ends.isoformat()},
        summary=_("%(org)s 订阅数据产品 %(code)s") % {"org": consumer.name, "code": product.code},
    )
    return subscription


@transaction.atomic
def cancel_subscription(subscription: Subscription, *, by) -> Subscription:
    consumer = _consumer(by)
    if subscription.consumer_id != consumer.pk:
        raise RuleViolation(_("只能退订本单位的订阅。"))
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise RuleViolation(_("该订阅已退订。"))
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.save(update_fields=["status"])
    record(
        UNSUBSCRIBE,
        by=by,
        target=subscription,
        changes={"product": subscription.product.code},
        summary=_("退订数据产品 %(code)s") % {"code": subscription.product.code},
    )
    return subscription


# --- Credentials ------------------------------------------------------------------------------


@transaction.atomic
def create_credential(*, by, name: str) -> tuple[Credential, str]:
    """A new OAuth2 client for the consumer; returns it and its secret, shown this once."""
    consumer = _consumer(by)
    if not name.strip():
        raise RuleViolation(_("请为凭证命名。"))
    secret = generate_client_secret()
    application = Application.objects.create(
        name=f"{consumer.name} · {name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,  # hashed by django-oauth-toolkit on save
        hash_client_secret=True,
    )
    credential = Credential.objects.create(
        organisation=consumer, application=application, name=name.strip()[:100], created_by=by
    )
    record(
        CREDENTIAL_CREATE,
        by=by,
        target=credential,
        changes={"client_id": application.client_id},
        summary=_("创建调用凭证 %(name)s") % {"name": credential.name},
    )
    return credential, secret


def _may_manage(credential: Credential, by) -> None:
    if by is not None and by.has_perm(Perm.PRODUCT_SUPERVISE):
        return
    consumer = _consumer(by)
    if credential.organisation_id != consumer.pk:
        raise RuleViolation(_("只能管理本单位的凭证。"))


@transaction.atomic
def rotate_credential(credential: Credential, *, by) -> str:
    """A new secret at once; the old secret and every token issued with it stop working."""
    _may_manage(credential, by)
    if not credential.is_active:
        raise RuleViolation(_("凭证已吊销。"))
    secret = generate_client_secret()
    application = credential.application
    application.client_secret = secret
    application.save()
    AccessToken.objects.filter(application=application).delete()
    credential.rotated_at = timezone.now()
    credential.save(update_fields=["rotated_at"])
    record(
        CREDENTIAL_ROTATE,
        by=by,
        target=credential,
        changes={"client_id": application.client_id},
        summary=_("轮换凭证 %(name)s 的密钥") % {"name": credential.name},
    )
    return secret


@transaction.atomic
def revoke_credential(credential: Credential, *, by, reason: str) -> Credential:
    """吊销: the consumer itself, or the supervisor in an emergency; the next call is refused."""
    _may_manage(credential, by)
    if not credential.is_active:
        raise RuleViolation(_("凭证已吊销。"))
    if not reason.strip():
        raise RuleViolation(_("吊销须写明理由。"))
    application = credential.application
    application.client_secret = generate_client_secret()  # nobody knows it: no new tokens
    application.save()
    AccessToken.objects.filter(application=application).delete()
    credential.revoked_at = timezone.now()
    credential.revoke_reason = reason
    credential.save(update_fields=["revoked_at", "revoke_reason"])
    record(
        CREDENTIAL_REVOKE,
        by=by,
        target=credential,
        changes={"client_id": application.client_id, "reason": reason},
        summary=_("吊销调用凭证 %(name)s") % {"name": credential.name},
    )
    return credential


# --- Consumer registration --------------------------------------------------------------------


@transaction.atomic
def register_consumer(*, organisation: dict, user: dict):
    """数据使用方注册: an unverified consumer organisation and its first user (the consumer
    role), from the public form. Nothing can be subscribed until the bureau verifies it."""
    created = accounts.create_organisation(by=None, type=OrganisationType.CONSUMER, **organisation)
    member = accounts.create_user(by=None, organisation=created, roles=(Role.CONSUMER,), **user)
    notify(
        holders(Role.BUREAU_ADMIN),
        subject=_("数据使用方注册待核验：%(name)s") % {"name": created.name},
        body=_("请核对营业执照和统一社会信用代码后核验。"),
        link=reverse("accounts:organisation_detail", args=[created.pk]),
    )
    return created, member
