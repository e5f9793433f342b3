"""The consumer gateway's pipeline for one product call, in the order the checks must run:

authenticated credential → listed product → live subscription → the access decision behind
the product (a suspended authorization answers 403 at the very next call) → rate limit per
credential → parameters → quotas (calls; the authorization's monthly calls) → execution in
the zone (an answer is released once per parameter set and data version, then reused) →
rows quota → watermark for this recipient when the output carries records → metering →
answer with a trace id.

Every authenticated call is metered, answered or not; errors are JSON with a stable code and
a Chinese and English message, never data.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field

import pyarrow as pa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from pdao import watermark
from pdao.authorization import access
from pdao.catalogue.choices import VersionStatus
from pdao.catalogue.models import Version
from pdao.products import delivery, params
from pdao.products.choices import ProductStatus, SubscriptionStatus
from pdao.products.models import Credential, Product, Release, Subscription, Usage
from pdao.zone import engine
from pdao.zone import policy as zone_policy
from pdao.zone import services as zone_services

MAX_TAGS = 10_000


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)


@functools.cache
def watermark_key() -> bytes:
    """Derived from the key-encryption secret (HKDF), never stored."""
    return HKDF(hashes.SHA256(), 32, salt=b"pdao-watermark", info=b"deliveries").derive(
        settings.KEY_ENCRYPTION_SECRET.encode()
    )


def key_tag(value: str) -> str:
    """A keyed tag of a delivered row key: lets a leak be matched to deliveries without the
    platform keeping the keys."""
    return hmac.new(watermark_key(), b"tag\0" + value.encode(), hashlib.sha256).hexdigest()[:12]


# --- Execution --------------------------------------------------------------------------------


def dry_run(product: Product, values: dict) -> engine.Released | engine.Refused:
    """Run the template with `values` under the product's authorization without recording or
    releasing anything (the compliance review's test). Raises ParamError for bad values."""
    typed = params.validate(params.parse_specs(product.parameters), values)
    grant = access.grant(product.authorization)
    if isinstance(grant, access.Decision):
        return engine.Refused(f"authorization.{grant.code}", grant.message)
    built = zone_policy.build(
        product.authorization, grant, epsilon_per_query=product.epsilon_per_call
    )
    return engine.run(params.bind(product.sql, typed), built, form=product.form)


def _stamp(product: Product, grant: access.Grant) -> str:
    versions = sorted(
        Version.objects.filter(
            resource__code__in=list(grant.scope), status=VersionStatus.ACTIVE
        ).values_list("pk", flat=True)
    )
    return f"{product.revision}:{grant.revision}:{','.join(map(str, versions))}"[:200]


def release(product: Product, typed: dict, grant: access.Grant) -> Release | engine.Refused:
    """The released answer for these values: reused when the product, the authorization and
    the data versions are unchanged; otherwise run once through the zone (recorded, audited,
    ε debited) and kept."""
    digest = params.params_hash(product.code, typed)
    stamp = _stamp(product, grant)
    found = Release.objects.filter(product=product, params_hash=digest, stamp=stamp).first()
    if found is not None:
        return found
    query = zone_services.run_query(
        product.authorization,
        by=None,
        sql=params.bind(product.sql, typed),
        form=product.form,
        epsilon=product.epsilon_per_call,
    )
    if query.decision != "released":
        return engine.Refused(query.rule, query.message)
    try:
        with transaction.atomic():
            return Release.objects.create(
                product=product,
                params_hash=digest,
                stamp=stamp,
                zone_query=query,
                columns=query.result["columns"],
                rows=query.result["rows"],
                suppressed_cells=query.suppressed_cells,
            )
    except IntegrityError:  # a concurrent call released the same answer first
        return Release.objects.get(product=product, params_hash=digest, stamp=stamp)


# --- Limits -----------------------------------------------------------------------------------


def _period() -> str:
    return timezone.localdate().strftime("%Y-%m")


def _take(key: str, *, calls: int = 0, rows: int = 0, max_calls: int = 0, max_rows: int = 0):
    """Add to a counter unless that passes its limit (0: none); True when added."""
    period = _period()
    if not Usage.objects.filter(key=key, period=period).exists():
        try:
            with transaction.atomic():
                Usage.objects.create(key=key, period=period)
        except IntegrityError:
            pass
    counter = Usage.objects.filter(key=key, period=period)
    if max_calls and calls:
        counter = counter.filter(calls__lte=max_calls - calls)
    if max_rows and rows:
        counter = counter.filter(rows__lte=max_rows - rows)
    return counter.update(calls=F("calls") + calls, rows=F("rows") + rows) == 1


def _give_back(key: str, *, calls: int) -> None:
    Usage.objects.filter(key=key, period=_period()).update(calls=F("calls") - calls)


def _rate_limited(credential: Credential, product: Product, per_minute: int) -> int:
    """Seconds until the credential may call this product again; 0 when it may now. A fixed
    one-minute window in the Django cache (local memory embedded, Redis when configured)."""
    now = time.time()
    key = f"pdao:gw:rate:{credential.pk}:{product.pk}:{int(now // 60)}"
    count = 1 if cache.add(key, 1, 70) else cache.incr(key)
    return 0 if count <= per_minute else max(1, 60 - int(now % 60))


# --- The call ---------------------------------------------------------------------------------


def _error(status: int, code: str, zh: str, en: str, **extra) -> Answer:
    return Answer(status, {"code": code, "message": f"{zh} / {en}", **extra})


def call(credential: Credential, code: str, values: dict, *, source_ip: str | None) -> Answer:
    """Answer one product call for `credential` and meter it."""
    started = time.perf_counter()
    trace_id = uuid.uuid4().hex
    meter = {"credential": credential, "consumer_id": credential.organisation_id}
    answer, product, subscription = _answer(credential, code, values, meter)
    answer.body["trace_id"] = trace_id
    answer.headers["X-Trace-Id"] = trace_id
    body = json.dumps(answer.body, ensure_ascii=False, separators=(",", ":")).encode()
    delivery.record(
        trace_id=trace_id,
        product=product,
        subscription=subscription,
        status=answer.status,
        code=answer.body.get("code", "ok"),
        body=body,
        latency_ms=(time.perf_counter() - started) * 1000,
        source_ip=source_ip,
        **meter,
    )
    return answer


def _answer(credential: Credential, code: str, values: dict, meter: dict):
    product = (
        Product.objects.select_related("authorization")
        .filter(code=code, status=ProductStatus.LISTED)
        .first()
    )
    if product is None:
        return (
            _error(404, "product_not_found", "没有该上架产品", "No such listed product"),
            None,
            None,
        )
    today = timezone.localdate()
    subscription = (
        Subscription.objects.select_related("plan")
        .filter(
            consumer_id=credential.organisation_id,
            product=product,
            status=SubscriptionStatus.ACTIVE,
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .first()
    )
    if subscription is None:
        return (
            _error(403, "no_subscription", "未订阅该产品或订阅已到期", "No live subscription"),
            product,
            None,
        )
    grant = access.grant(product.authorization, today=today)
    if isinstance(grant, access.Decision):
        return (
            _error(
                403,
                f"authorization_{grant.code}",
                f"产品所依托的授权不可用:{grant.message}",
                "The authorization behind this product is not in force",
            ),
            product,
            subscription,
        )
    plan = subscription.plan
    wait = _rate_limited(credential, product, plan.rate_per_minute)
    if wait:
        answer = _error(429, "rate_limited", "调用过于频繁", "Rate limit exceeded")
        answer.headers["Retry-After"] = str(wait)
        return answer, product, subscription
    try:
        typed = params.validate(params.parse_specs(product.parameters), values)
    except params.ParamError as error:
        problems = [
            {"name": p.name, "code": p.code, "message": f"{p.zh} / {p.en}"} for p in error.problems
        ]
        return (
            _error(400, "invalid_parameter", "参数无效", "Invalid parameters", errors=problems),
            product,
            subscription,
        )
    meter["params_hash"] = params.params_hash(product.code, typed)
    sub_key, authz_key = f"s:{subscription.pk}", f"a:{product.authorization_id}"
    if not _take(sub_key, calls=1, max_calls=plan.calls_per_month):
        return (
            _error(429, "quota_calls", "本月调用次数已用完", "Monthly call quota used up"),
            product,
            subscription,
        )
    if not _take(authz_key, calls=1, max_calls=product.authorization.monthly_calls):
        _give_back(sub_key, calls=1)
        return (
            _error(
                429,
                "quota_authorization",
                "授权协议约定的每月调用配额已用完",
                "The authorization's monthly call quota is used up",
            ),
            product,
            subscription,
        )
    released = release(product, typed, grant)
    if isinstance(released, engine.Refused):
        _give_back(sub_key, calls=1)
        _give_back(authz_key, calls=1)
        return (
            _error(
                422,
                "disclosure_refused",
                f"该参数组合的结果未通过输出控制:{released.message}",
                "The result for these parameters did not pass disclosure control",
                rule=released.rule,
            ),
            product,
            subscription,
        )
    rows = released.rows
    if not _take(sub_key, rows=len(rows), max_rows=plan.rows_per_month):
        _give_back(sub_key, calls=1)
        _give_back(authz_key, calls=1)
        return (
            _error(429, "quota_rows", "本月输出行数配额不足", "Monthly row quota used up"),
            product,
            subscription,
        )
    columns = released.columns
    body = {
        "product": product.code,
        "filing_no": product.filing_no,
        "columns": columns,
        "rows": rows,
        "row_count": len(rows),
        "suppressed_cells": released.suppressed_cells,
        "watermarked": False,
    }
    if product.record_level and rows and product.key_column in columns:
        rows = _marked(product, subscription, columns, rows)
        body["rows"] = rows
        body["watermarked"] = True
        meter["watermark_id"] = watermark.mark_id(watermark_key(), subscription.code)
        index = columns.index(product.key_column)
        meter["key_tags"] = [key_tag(str(r[index])) for r in rows[:MAX_TAGS] if r[index]]
    meter["rows"] = len(rows)
    return Answer(200, body), product, subscription


def _marked(product: Product, subscription: Subscription, columns: list, rows: list) -> list:
    table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
    tolerances = {
        c["name"]: float(c["tolerance"])
        for c in product.output_columns
        if c.get("tolerance") and c["name"] in columns
    }
    marked = watermark.embed(
        table,
        key=watermark_key(),
        recipient=subscription.code,
        key_column=product.key_column,
        tolerances=tolerances or None,
    )
    return [list(r) for r in zip(*(marked.column(c).to_pylist() for c in columns), strict=True)]


def usage(subscription: Subscription) -> Usage | None:
    return Usage.objects.filter(key=f"s:{subscription.pk}", period=_period()).first()
