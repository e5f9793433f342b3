"""退出机制: an authorization that expires, is revoked, fails its performance evaluation or that
its operator leaves is wound down so that nothing of it stays usable, and the end is recorded.

`start` ends the authorization if it is still live (revoked, with the cause as its reason; an
expired one is already over), then, in the same transaction:

1. every product on it is delisted (listed ones as the regulator does; drafts, reviews and
   filings are closed too, so none can be listed again), its cached released answers dropped;
2. its listings on exchanges are delisted;
3. its open orders not yet delivered are cancelled; active subscriptions are ended and each
   consumer told;
4. a consumer credential that now serves no active subscription is revoked (its tokens deleted,
   its secret replaced): it existed for this operator's products;
5. each derived dataset (including the models built in the zone) is destroyed: its file deleted,
   `destroyed_at` set, and the file's SHA-256 anchored with the deletion; the row and its
   lineage stay, so what was built from what remains traceable.

The operator then confirms it keeps nothing outside the platform, and the bureau signs off,
which writes the exit report (Word and PDF, kept by hash, its hash anchored). Every step is
audited; the steps' record (codes, names and hashes — never data) is anchored at the start.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization.choices import AuthorizationStatus, ExitCause, ExitStatus
from pdao.authorization.models import Authorization, Exit
from pdao.authorization.services.authorizations import (
    AUTHORIZATION_REVOKE,
    LIVE,
    change_status,
)
from pdao.core import papers, stored
from pdao.core.identity import SCHEDULER, is_system
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, require, typed_text
from pdao.ledger import services as ledger
from pdao.ledger.entry import canonical
from pdao.market.choices import ListingStatus, OrderStatus
from pdao.market.models import Listing, Order
from pdao.notifications.services import holders, members, notify
from pdao.products.choices import ProductStatus, SubscriptionStatus
from pdao.products.models import Credential, Product, Release, Subscription
from pdao.zone.models import DerivedDataset

EXIT_START = actions.define("authz.exit", gettext_lazy("启动授权退出"))
EXIT_PRODUCT = actions.define("authz.exit_product", gettext_lazy("退出：下架数据产品"))
EXIT_SUBSCRIPTION = actions.define("authz.exit_subscription", gettext_lazy("退出：终止订阅"))
EXIT_ORDER = actions.define("authz.exit_order", gettext_lazy("退出：取消未交付订单"))
EXIT_LISTING = actions.define("authz.exit_listing", gettext_lazy("退出：交易场所摘牌"))
EXIT_CREDENTIAL = actions.define("authz.exit_credential", gettext_lazy("退出：吊销凭证"))
EXIT_DESTROY = actions.define("authz.exit_destroy", gettext_lazy("退出：销毁衍生数据"))
EXIT_CONFIRM = actions.define("authz.exit_confirm", gettext_lazy("运营单位确认退出"))
EXIT_SIGN_OFF = actions.define("authz.exit_sign_off", gettext_lazy("签认授权退出"))
# Ledger entry types that are not audit actions.
actions.define("authorization.exit", gettext_lazy("授权退出清退记录"))
actions.define("authorization.exit_report", gettext_lazy("授权退出报告"))
actions.define("zone.derived_destroyed", gettext_lazy("衍生数据销毁"))
AREA = "exits"
RESIDUE_LABELS = {
    "authorization": gettext_lazy("有效授权"),
    "products": gettext_lazy("未下架产品"),
    "listings": gettext_lazy("未摘牌挂牌"),
    "orders": gettext_lazy("未取消订单"),
    "subscriptions": gettext_lazy("有效订阅"),
    "releases": gettext_lazy("缓存的结果"),
    "derived": gettext_lazy("未销毁的衍生数据"),
}


def _text(value: str, label: str) -> str:
    return typed_text(value, label, 2000)


@transaction.atomic
def start(authorization: Authorization, *, by, cause: str, reason: str) -> Exit:
    """Begin the exit (the bureau; the scheduler for an expired term)."""
    if not is_system(by):
        require(by, Perm.AUTHZ_DECIDE)
    if cause not in ExitCause.values:
        raise RuleViolation(_("请选择退出原因。"))
    reason = _text(reason, _("退出说明"))
    authorization = Authorization.objects.select_for_update().get(pk=authorization.pk)
    if Exit.objects.filter(authorization=authorization).exists():
        raise RuleViolation(_("该授权已启动退出。"))
    if cause == ExitCause.EXPIRED and authorization.status != AuthorizationStatus.EXPIRED:
        raise RuleViolation(_("授权尚未到期；提前终止请选择其他退出原因。"))
    if cause == ExitCause.FAILED_EVALUATION:
        from pdao.showcase.evaluations import latest_result  # showcase builds on authorization

        if latest_result(authorization) != "fail":
            raise RuleViolation(_("该授权最近一次绩效评估结果不是“不合格”，不能以此为由退出。"))
    elif authorization.status in LIVE:
        change_status(
            authorization,
            AuthorizationStatus.REVOKED,
            by=by,
            reason=f"{ExitCause(cause).label}：{reason}",
            action=AUTHORIZATION_REVOKE,
        )
    exit_ = Exit.objects.create(
        authorization=authorization,
        cause=cause,
        reason=reason,
        started_by=None if is_system(by) else by,
    )
    exit_.steps = wind_down(authorization, by=by, reason=ExitCause(cause).label)
    exit_.save(update_fields=["steps"])
    ledger.anchor(
        "authorization.exit",
        content_hash=hashlib.sha256(canonical(exit_.steps)).hexdigest(),
        by=by,
        target=exit_,
        subject={"authorization": authorization.code},
    )
    record(
        EXIT_START,
        by=by,
        target=authorization,
        changes={"cause": cause, "reason": reason, "steps": _counts(exit_.steps)},
        summary=_("授权 %(c)s 启动退出：%(r)s")
        % {"c": authorization.code, "r": ExitCause(cause).label},
    )
    link = reverse("authorization:exit_detail", args=[exit_.pk])
    notify(
        members(authorization.operator, Role.OPERATOR),
        subject=_("授权 %(c)s 已进入退出程序，请确认") % {"c": authorization.code},
        body=reason,
        link=link,
    )
    return exit_


def _counts(steps: dict) -> dict:
    return {kind: len(items) for kind, items in steps.items()}


def wind_down(authorization: Authorization, *, by, reason: str) -> dict:
    """Steps 1–5 of the module's description; returns what each did."""
    from oauth2_provider.models import AccessToken, generate_client_secret

    now = timezone.now()
    note = _("授权退出：%(r)s") % {"r": reason}
    steps: dict[str, list] = {
        "products": [],
        "listings": [],
        "orders": [],
        "subscriptions": [],
        "credentials": [],
        "derived": [],
    }
    products = list(Product.objects.select_for_update().filter(authorization=authorization))
    for product in products:
        Release.objects.filter(product=product).delete()
        if product.status in (ProductStatus.DELISTED, ProductStatus.REJECTED):
            continue
        before = product.status
        Product.objects.filter(pk=product.pk).update(
            status=ProductStatus.DELISTED, status_reason=note
        )
        steps["products"].append({"code": product.code, "from": before})
        record(
            EXIT_PRODUCT,
            by=by,
            target=product,
            changes={"from": before, "reason": note},
            summary=_("数据产品 %(c)s 随授权退出下架") % {"c": product.code},
        )
    for listing in (
        Listing.objects.select_for_update()
        .filter(product__in=products)
        .exclude(status=ListingStatus.DELISTED)
    ):
        before = listing.status
        listing.status, listing.status_reason = ListingStatus.DELISTED, note
        listing.save(update_fields=["status", "status_reason"])
        steps["listings"].append(
            {"code": listing.code, "exchange": listing.exchange, "from": before}
        )
        record(
            EXIT_LISTING,
            by=by,
            target=listing,
            changes={"from": before, "to": ListingStatus.DELISTED, "reason": note},
            summary=_("挂牌 %(c)s 随授权退出摘牌") % {"c": listing.code},
        )
    undelivered = (OrderStatus.ORDERED, OrderStatus.SIGNED, OrderStatus.PAYMENT_RECORDED)
    for order in Order.objects.select_for_update().filter(
        product__in=products, status__in=undelivered
    ):
        before = order.status
        order.status, order.reason = OrderStatus.CANCELLED, note
        order.save(update_fields=["status", "reason", "updated_at"])
        steps["orders"].append({"code": order.code, "from": before})
        record(
            EXIT_ORDER,
            by=by,
            target=order,
            changes={"from": before, "reason": note},
            summary=_("订单 %(c)s 随授权退出取消") % {"c": order.code},
        )
        notify(
            members(order.consumer, Role.CONSUMER),
            subject=_("订单 %(c)s 已取消：所依托的授权退出") % {"c": order.code},
            body=_("已付款项由卖方按合同在平台外退还。")
            if before == OrderStatus.PAYMENT_RECORDED
            else "",
            link=reverse("market:order_detail", args=[order.code]),
        )
    consumers = set()
    for subscription in Subscription.objects.select_for_update().filter(
        product__in=products, status=SubscriptionStatus.ACTIVE
    ):
        subscription.status = SubscriptionStatus.CANCELLED
        subscription.save(update_fields=["status"])
        consumers.add(subscription.consumer_id)
        steps["subscriptions"].append(
            {"code": subscription.code, "product": subscription.product.code}
        )
        record(
            EXIT_SUBSCRIPTION,
            by=by,
            target=subscription,
            changes={"product": subscription.product.code, "reason": note},
            summary=_("订阅 %(c)s 随授权退出终止") % {"c": subscription.code},
        )
        notify(
            members(subscription.consumer, Role.CONSUMER),
            subject=_("数据产品 %(p)s 已停止服务：所依托的授权退出")
            % {"p": subscription.product.name},
            body=_("订阅 %(c)s 已终止，调用将被拒绝。") % {"c": subscription.code},
            link=reverse("products:subscriptions"),
        )
    still_served = set(
        Subscription.objects.filter(
            consumer_id__in=consumers, status=SubscriptionStatus.ACTIVE
        ).values_list("consumer_id", flat=True)
    )
    for credential in Credential.objects.select_for_update().filter(
        organisation_id__in=consumers - still_served,
        revoked_at__isnull=True,
    ):
        application = credential.application
        application.client_secret = generate_client_secret()
        application.save()
        AccessToken.objects.filter(application=application).delete()
        credential.revoked_at, credential.revoke_reason = now, note
        credential.save(update_fields=["revoked_at", "revoke_reason"])
        steps["credentials"].append(
            {"client_id": application.client_id, "organisation": credential.organisation.name}
        )
        record(
            EXIT_CREDENTIAL,
            by=by,
            target=credential,
            changes={"client_id": application.client_id, "reason": note},
            summary=_("凭证 %(n)s 随授权退出吊销（已无有效订阅）") % {"n": credential.name},
        )
    base = Path(settings.DATA_DIR) / "derived"
    for dataset in DerivedDataset.objects.select_for_update().filter(
        authorization=authorization, destroyed_at__isnull=True
    ):
        dataset.destroyed_at = now
        dataset.save(update_fields=["destroyed_at"])
        # Files are kept by their content: the same derivation in another workspace shares
        # the file, which then stays for that workspace's own dataset.
        shared = _shared(dataset)
        if not shared:
            (base / dataset.path).unlink(missing_ok=True)
        steps["derived"].append(
            {
                "name": dataset.name,
                "sha256": dataset.sha256,
                "lineage": len(dataset.lineage),
                "shared": shared,
            }
        )
        ledger.anchor(
            "zone.derived_destroyed",
            content_hash=dataset.sha256,
            by=by,
            target=dataset,
            subject={"authorization": authorization.code},
        )
        record(
            EXIT_DESTROY,
            by=by,
            target=dataset,
            changes={"sha256": dataset.sha256, "path": dataset.path},
            summary=_("衍生数据“%(n)s”随授权退出销毁") % {"n": dataset.name},
        )
    return steps


def _shared(dataset: DerivedDataset) -> bool:
    """Whether another authorization's live dataset is kept in the same file."""
    return (
        DerivedDataset.objects.filter(path=dataset.path, destroyed_at__isnull=True)
        .exclude(pk=dataset.pk)
        .exists()
    )


def renewal_refusal(authorization: Authorization) -> str | None:
    """An authorization that exited before its term ended is not renewed: the operator applies
    anew."""
    exit_ = Exit.objects.filter(authorization=authorization).first()
    if exit_ is None or exit_.cause == ExitCause.EXPIRED:
        return None
    return _("该授权已因“%(c)s”退出，不能续期；如需继续，请重新提出授权申请。") % {
        "c": exit_.get_cause_display()
    }


def residue(authorization: Authorization) -> dict[str, list]:
    """What of the authorization is still usable (the exit page checks it; empty lists when
    the wind-down left nothing)."""

    base = Path(settings.DATA_DIR) / "derived"
    authorization = Authorization.objects.get(pk=authorization.pk)  # as stored now
    products = Product.objects.filter(authorization=authorization)
    return {
        "authorization": [authorization.code]
        if authorization.status == AuthorizationStatus.ACTIVE
        else [],
        "products": list(
            products.exclude(
                status__in=[ProductStatus.DELISTED, ProductStatus.REJECTED]
            ).values_list("code", flat=True)
        ),
        "listings": list(
            Listing.objects.filter(product__in=products)
            .exclude(status=ListingStatus.DELISTED)
            .values_list("code", flat=True)
        ),
        "orders": list(
            Order.objects.filter(
                product__in=products,
                status__in=[
                    OrderStatus.ORDERED,
                    OrderStatus.SIGNED,
                    OrderStatus.PAYMENT_RECORDED,
                ],
            ).values_list("code", flat=True)
        ),
        "subscriptions": list(
            Subscription.objects.filter(
                product__in=products, status=SubscriptionStatus.ACTIVE
            ).values_list("code", flat=True)
        ),
        "releases": [str(n) for n in [Release.objects.filter(product__in=products).count()] if n],
        "derived": [
            d.name
            for d in DerivedDataset.objects.filter(authorization=authorization)
            if d.destroyed_at is None or ((base / d.path).exists() and not _shared(d))
        ],
    }


def remaining(authorization: Authorization) -> list[tuple[str, int]]:
    """`residue` for a reader: (label, how many) of each kind still usable."""
    return [
        (str(RESIDUE_LABELS[kind]), len(items))
        for kind, items in residue(authorization).items()
        if items
    ]


@transaction.atomic
def confirm(exit_: Exit, *, by, statement: str) -> Exit:
    """The operator's confirmation that it keeps no copy of the authorization's data, products
    or models outside the platform."""
    require(by, Perm.AUTHZ_APPLY)
    exit_ = Exit.objects.select_for_update().select_related("authorization").get(pk=exit_.pk)
    if exit_.authorization.operator_id != by.organisation_id:
        raise RuleViolation(_("只能确认本单位授权的退出。"))
    if exit_.status != ExitStatus.WOUND_DOWN:
        raise RuleViolation(_("该退出已确认。"))
    exit_.statement = _text(statement, _("确认说明"))
    exit_.status = ExitStatus.CONFIRMED
    exit_.confirmed_by, exit_.confirmed_at = by, timezone.now()
    exit_.save()
    record(
        EXIT_CONFIRM,
        by=by,
        target=exit_.authorization,
        changes={"statement": exit_.statement},
        summary=_("运营单位确认授权 %(c)s 退出") % {"c": exit_.authorization.code},
    )
    notify(
        holders(Role.BUREAU_ADMIN),
        subject=_("授权 %(c)s 退出待签认") % {"c": exit_.authorization.code},
        link=reverse("authorization:exit_detail", args=[exit_.pk]),
    )
    return exit_


@transaction.atomic
def sign_off(exit_: Exit, *, by, note: str = "") -> Exit:
    """The bureau's sign-off, after checking nothing remains usable: writes the exit report."""
    require(by, Perm.AUTHZ_DECIDE)
    exit_ = Exit.objects.select_for_update().select_related("authorization").get(pk=exit_.pk)
    if exit_.status != ExitStatus.CONFIRMED:
        raise RuleViolation(_("须运营单位确认后才能签认。"))
    left = remaining(exit_.authorization)
    if left:
        raise RuleViolation(
            _("仍有未清退的内容，不能签认：%(k)s")
            % {"k": "、".join(f"{label} {n}" for label, n in left)}
        )
    exit_.sign_off_note = (note or "").strip()[:2000]
    exit_.status = ExitStatus.CLOSED
    exit_.signed_off_by, exit_.signed_off_at = by, timezone.now()
    paper = report(exit_)
    word, pdf = papers.docx(paper), papers.pdf(paper)
    exit_.report_sha256 = stored.store(AREA, word, "docx")
    exit_.report_pdf_sha256 = stored.store(AREA, pdf, "pdf")
    exit_.save()
    ledger.anchor(
        "authorization.exit_report", content_hash=exit_.report_sha256, by=by, target=exit_
    )
    record(
        EXIT_SIGN_OFF,
        by=by,
        target=exit_.authorization,
        changes={"report": exit_.report_sha256},
        summary=_("签认授权 %(c)s 退出") % {"c": exit_.authorization.code},
    )
    notify(
        members(exit_.authorization.operator, Role.OPERATOR),
        subject=_("授权 %(c)s 退出已完成") % {"c": exit_.authorization.code},
        link=reverse("authorization:exit_detail", args=[exit_.pk]),
    )
    return exit_


def report(exit_: Exit) -> papers.Paper:
    authorization = exit_.authorization
    steps = exit_.steps
    when = exit_.signed_off_at or timezone.now()
    return papers.Paper(
        title=_("授权退出报告：%(c)s") % {"c": authorization.code},
        facts=[
            (_("应用场景"), authorization.application.scenario),
            (
                _("运营单位"),
                f"{authorization.operator.name} · {authorization.operator.credit_code}",
            ),
            (
                _("授权期限"),
                f"{authorization.starts_on:%Y-%m-%d} — {authorization.ends_on:%Y-%m-%d}",
            ),
            (_("退出原因"), f"{exit_.get_cause_display()} · {exit_.reason}"),
            (_("启动时间"), f"{timezone.localtime(exit_.started_at):%Y-%m-%d %H:%M}"),
            (
                _("运营单位确认"),
                f"{timezone.localtime(exit_.confirmed_at):%Y-%m-%d %H:%M} · {exit_.statement}"
                if exit_.confirmed_at
                else "—",
            ),
            (_("签认时间"), f"{timezone.localtime(when):%Y-%m-%d %H:%M}"),
        ],
        sections=[
            papers.Section(
                _("一、数据产品下架"),
                [] if steps.get("products") else [_("无")],
                header=(_("产品编号"), _("原状态")) if steps.get("products") else (),
                rows=[(p["code"], p["from"]) for p in steps.get("products", [])],
            ),
            papers.Section(
                _("二、交易场所摘牌"),
                [] if steps.get("listings") else [_("无")],
                header=(_("挂牌申请编号"), _("交易场所")) if steps.get("listings") else (),
                rows=[(x["code"], x["exchange"]) for x in steps.get("listings", [])],
            ),
            papers.Section(
                _("三、订单与订阅终止"),
                [
                    _("取消未交付订单 %(o)s 笔，终止订阅 %(s)s 个，已逐一通知数据使用方。")
                    % {
                        "o": len(steps.get("orders", [])),
                        "s": len(steps.get("subscriptions", [])),
                    }
                ],
                header=(_("订阅编号"), _("产品编号")) if steps.get("subscriptions") else (),
                rows=[(x["code"], x["product"]) for x in steps.get("subscriptions", [])],
            ),
            papers.Section(
                _("四、凭证吊销"),
                [] if steps.get("credentials") else [_("无（相关使用方仍有其他有效订阅）")],
                header=(_("客户端标识"), _("单位")) if steps.get("credentials") else (),
                rows=[(x["client_id"], x["organisation"]) for x in steps.get("credentials", [])],
            ),
            papers.Section(
                _("五、衍生数据与模型销毁"),
                [
                    _("文件已删除，文件哈希与销毁事实已上链存证；血缘记录保留。")
                    if steps.get("derived")
                    else _("无")
                ],
                header=(_("名称"), _("文件 SHA-256")) if steps.get("derived") else (),
                rows=[(x["name"], x["sha256"]) for x in steps.get("derived", [])],
            ),
        ],
        footer=_("本报告由公共数据授权运营平台根据退出记录生成。"),
    )


def report_bytes(exit_: Exit, fmt: str) -> bytes | None:
    digest = exit_.report_sha256 if fmt == "docx" else exit_.report_pdf_sha256
    return stored.read(AREA, digest, fmt) if digest else None


def start_expired(authorization_id: int) -> Exit | None:
    """After the scheduler expired an authorization, its exit starts at once."""
    authorization = Authorization.objects.filter(pk=authorization_id).first()
    if (
        authorization is None
        or authorization.status != AuthorizationStatus.EXPIRED
        or Exit.objects.filter(authorization=authorization).exists()
    ):
        return None
    return start(
        authorization,
        by=SCHEDULER,
        cause=ExitCause.EXPIRED,
        reason=_("授权期限届满，依协议退出。"),
    )
