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
from dataclasses import dataclass, field, replace

import pyarrow as pa
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from pdao import watermark
from pdao.authorization import access
from pdao.catalogue.choices import VersionStatus
from pdao.catalogue.models import Version
from pdao.core import keys
from pdao.core.identity import GATEWAY
from pdao.core.rules import RuleViolation
from pdao.products import delivery, editions, params
from pdao.products.choices import ProductKind, ProductStatus, SubscriptionStatus
from pdao.products.models import (
    Credential,
    Product,
    Release,
    ReportEdition,
    Subscription,
    Usage,
)
from pdao.zone import engine
from pdao.zone import services as zone_services

MAX_TAGS = 10_000


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)
    content: bytes = b""  # the body as sent (its SHA-256 goes into the delivery digest)
    content_type: str = "application/json"


@functools.cache
def watermark_key() -> bytes:
    """Derived from the key-encryption secret (HKDF), never stored."""
    return keys.derive(keys.GATEWAY_WATERMARK)


def key_tag(value: str) -> str:
    """A keyed tag of a delivered row key: lets a leak be matched to deliveries without the
    platform keeping the keys."""
    return hmac.new(watermark_key(), b"tag\0" + value.encode(), hashlib.sha256).hexdigest()[:12]


# --- Execution --------------------------------------------------------------------------------


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
        by=GATEWAY,
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


def quota_month() -> str:
    """The quota month in force (YYYY-MM, local time)."""
    return timezone.localdate().strftime("%Y-%m")


@dataclass
class Charge:
    """What a call costs against its quotas: settled with the delivery record in one
    transaction, by conditional UPDATEs, so concurrent calls can never pass a quota."""

    subscription_key: str
    authorization_key: str
    rows: int
    max_calls: int
    max_rows: int
    max_authorization_calls: int


def _add(key: str, *, calls: int, rows: int, max_calls: int, max_rows: int) -> bool:
    """Add to a counter unless that passes its limit (0: none); True when added."""
    period = quota_month()
    counter = Usage.objects.filter(key=key, period=period)
    if max_calls:
        counter = counter.filter(calls__lte=max_calls - calls)
    if max_rows:
        counter = counter.filter(rows__lte=max_rows - rows)
    if counter.update(calls=F("calls") + calls, rows=F("rows") + rows):
        return True
    if Usage.objects.filter(key=key, period=period).exists():
        return False  # the limit is reached
    try:  # the month's first call
        with transaction.atomic():
            Usage.objects.create(key=key, period=period)
    except IntegrityError:
        pass
    return counter.update(calls=F("calls") + calls, rows=F("rows") + rows) == 1


class _QuotaRefused(Exception):
    def __init__(self, answer: Answer):
        self.answer = answer


def settle(charge: Charge) -> Answer | None:
    """Take the call and its rows from the quotas (in a savepoint of the caller's transaction);
    the refusal when one is used up, and then nothing is taken."""
    try:
        with transaction.atomic():
            if not _add(
                charge.subscription_key,
                calls=1,
                rows=charge.rows,
                max_calls=charge.max_calls,
                max_rows=charge.max_rows,
            ):
                raise _QuotaRefused(_quota_refusal(charge))
            if not _add(
                charge.authorization_key,
                calls=1,
                rows=0,
                max_calls=charge.max_authorization_calls,
                max_rows=0,
            ):
                raise _QuotaRefused(_error(*QUOTA_AUTHORIZATION))
    except _QuotaRefused as refused:
        return refused.answer
    return None


QUOTA_CALLS = (429, "quota_calls", "本月调用次数已用完", "Monthly call quota used up")
QUOTA_ROWS = (429, "quota_rows", "本月输出行数配额不足", "Monthly row quota used up")
QUOTA_AUTHORIZATION = (
    429,
    "quota_authorization",
    "授权协议约定的每月调用配额已用完",
    "The authorization's monthly call quota is used up",
)


def _quota_refusal(charge: Charge) -> Answer:
    used = Usage.objects.filter(key=charge.subscription_key, period=quota_month()).first()
    if used and charge.max_calls and used.calls >= charge.max_calls:
        return _error(*QUOTA_CALLS)
    return _error(*QUOTA_ROWS)


def _exhausted(charge: Charge) -> Answer | None:
    """A cheap read before running anything: a quota already used up is refused without
    touching the zone (the binding check is `settle`)."""
    used = {
        key: (calls, rows)
        for key, calls, rows in Usage.objects.filter(
            key__in=[charge.subscription_key, charge.authorization_key], period=quota_month()
        ).values_list("key", "calls", "rows")
    }
    calls, rows = used.get(charge.subscription_key, (0, 0))
    if charge.max_calls and calls >= charge.max_calls:
        return _error(*QUOTA_CALLS)
    if charge.max_rows and rows >= charge.max_rows:
        return _error(*QUOTA_ROWS)
    authz_calls = used.get(charge.authorization_key, (0, 0))[0]
    if charge.max_authorization_calls and authz_calls >= charge.max_authorization_calls:
        return _error(*QUOTA_AUTHORIZATION)
    return None


def _rate_limited(credential: Credential, product: Product, per_minute: int) -> int:
    """Seconds until the credential may call this product again; 0 when it may now. A fixed
    one-minute window in the Django cache (local memory embedded, Redis when configured)."""
    now = time.time()
    key = f"pdao:gw:rate:{credential.pk}:{product.pk}:{int(now // 60)}"
    try:
        count = cache.incr(key)  # one round trip in the usual case
    except ValueError:  # the window's first call
        count = 1 if cache.add(key, 1, 70) else cache.incr(key)
    return 0 if count <= per_minute else max(1, 60 - int(now % 60))


# --- The call ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one call or report download came to, before the quotas are settled and the
    delivery recorded: the answer, the product and subscription it was for (as far as they
    are known), the charge against the quotas (None when nothing is delivered) and what the
    delivery record keeps of the answer."""

    answer: Answer
    product: Product | None = None
    subscription: Subscription | None = None
    charge: Charge | None = None
    params_hash: str = ""  # once the parameters are valid
    rows: int = 0
    watermark_id: str = ""
    key_tags: list[str] = field(default_factory=list)


def _error(status: int, code: str, zh: str, en: str, **extra) -> Answer:
    return Answer(status, {"code": code, "message": f"{zh} / {en}", **extra})


def _json(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def call(credential: Credential, code: str, values: dict, *, source_ip: str | None) -> Answer:
    """Answer one product call for `credential` and meter it. The quotas are settled and the
    delivery recorded in one transaction (one commit per call)."""
    started = time.perf_counter()
    outcome = _answer(credential, code, values)
    return _finish(
        outcome,
        credential=credential,
        consumer_id=credential.organisation_id,
        started=started,
        source_ip=source_ip,
    )


def report(
    code: str, fmt: str, *, credential: Credential | None, consumer_id: int, source_ip: str | None
) -> Answer:
    """Hand over the latest released edition of a report product as PDF or Word: the same
    checks, limits and metering as a call (a consumer's page download has no credential)."""
    started = time.perf_counter()
    outcome = _report(credential, consumer_id, code, fmt)
    return _finish(
        outcome,
        credential=credential,
        consumer_id=consumer_id,
        started=started,
        source_ip=source_ip,
    )


def _finish(
    outcome: Outcome,
    *,
    credential: Credential | None,
    consumer_id: int,
    started: float,
    source_ip: str | None,
) -> Answer:
    trace_id = uuid.uuid4().hex
    with transaction.atomic():
        if outcome.charge is not None:
            refused = settle(outcome.charge)
            if refused is not None:  # nothing is delivered
                outcome = replace(outcome, answer=refused, rows=0, watermark_id="", key_tags=[])
        answer = outcome.answer
        answer.headers["X-Trace-Id"] = trace_id
        if answer.content_type == "application/json":
            answer.body["trace_id"] = trace_id
            answer.content = _json(answer.body)
        delivery.record(
            trace_id=trace_id,
            credential=credential,
            consumer_id=consumer_id,
            product=outcome.product,
            subscription=outcome.subscription,
            status=answer.status,
            code=answer.body.get("code", "ok"),
            body=answer.content,
            latency_ms=(time.perf_counter() - started) * 1000,
            source_ip=source_ip,
            params_hash=outcome.params_hash,
            rows=outcome.rows,
            watermark_id=outcome.watermark_id,
            key_tags=outcome.key_tags,
        )
    return answer


def _live_subscription(consumer_id: int, code: str):
    """(subscription, product, refusal): the consumer's live subscription to a listed product
    with this code, or why not."""
    today = timezone.localdate()
    subscription = (
        Subscription.objects.select_related("plan", "product__authorization")
        .filter(
            consumer_id=consumer_id,
            product__code=code,
            product__status=ProductStatus.LISTED,
            status=SubscriptionStatus.ACTIVE,
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .first()
    )
    if subscription is not None:
        if subscription.product.frozen_at is not None:
            refusal = _error(403, "product_frozen", "产品已被应急冻结", "The product is frozen")
            return subscription, subscription.product, refusal
        return subscription, subscription.product, None
    product = Product.objects.filter(code=code, status=ProductStatus.LISTED).first()
    if product is None:
        return (
            None,
            None,
            _error(404, "product_not_found", "没有该上架产品", "No such listed product"),
        )
    return (
        None,
        product,
        _error(403, "no_subscription", "未订阅该产品或订阅已到期", "No live subscription"),
    )


def _authorization_refusal(product: Product):
    grant = access.grant(product.authorization)
    if isinstance(grant, access.Decision):
        return grant, _error(
            403,
            f"authorization_{grant.code}",
            f"产品所依托的授权不可用：{grant.message}",
            "The authorization behind this product is not in force",
        )
    return grant, None


def _report(credential: Credential | None, consumer_id: int, code: str, fmt: str) -> Outcome:
    subscription, product, refusal = _live_subscription(consumer_id, code)
    if refusal is not None:
        return Outcome(refusal, product, subscription)
    _grant, refusal = _authorization_refusal(product)
    if refusal is not None:
        return Outcome(refusal, product, subscription)
    if product.kind != ProductKind.REPORT:
        answer = _error(400, "not_a_report", "该产品不是数据报告", "This product is not a report")
        return Outcome(answer, product, subscription)
    if fmt not in editions.FORMATS:
        answer = _error(400, "invalid_parameter", "格式应为 pdf 或 docx", "format: pdf or docx")
        return Outcome(answer, product, subscription)
    if credential is not None:
        wait = _rate_limited(credential, product, subscription.plan.rate_per_minute)
        if wait:
            answer = _error(429, "rate_limited", "调用过于频繁", "Rate limit exceeded")
            answer.headers["Retry-After"] = str(wait)
            return Outcome(answer, product, subscription)
    edition = editions.latest_released(product)
    if edition is None:
        answer = _error(404, "no_edition", "尚无已发布的报告", "No released edition yet")
        return Outcome(answer, product, subscription)
    charge = _charge(subscription, product, rows=0)
    exhausted = _exhausted(charge)
    if exhausted is not None:
        return Outcome(exhausted, product, subscription)
    try:
        data = editions.read(edition, fmt)
    except (OSError, RuleViolation):
        answer = _error(503, "report_unavailable", "报告文件不可用", "Report file unavailable")
        return Outcome(answer, product, subscription)
    answer = Answer(200, {"code": "ok"}, content=data, content_type=editions.FORMATS[fmt])
    answer.headers["X-Report-Edition"] = str(edition.number)
    answer.headers["Content-Disposition"] = (
        f'attachment; filename="{product.code}-{edition.number}.{fmt}"'
    )
    return Outcome(answer, product, subscription, charge)


def _charge(subscription: Subscription, product: Product, *, rows: int) -> Charge:
    return Charge(
        subscription_key=f"s:{subscription.pk}",
        authorization_key=f"a:{product.authorization_id}",
        rows=rows,
        max_calls=subscription.plan.calls_per_month,
        max_rows=subscription.plan.rows_per_month,
        max_authorization_calls=product.authorization.monthly_calls,
    )


def _answer(credential: Credential, code: str, values: dict) -> Outcome:
    subscription, product, refusal = _live_subscription(credential.organisation_id, code)
    if refusal is not None:
        return Outcome(refusal, product, subscription)
    grant, refusal = _authorization_refusal(product)
    if refusal is not None:
        return Outcome(refusal, product, subscription)
    if product.kind == ProductKind.REPORT:
        answer = _error(
            400,
            "report_product",
            "数据报告请以 GET /gateway/v1/products/{code}/report 下载",
            "Download reports with GET /gateway/v1/products/{code}/report",
        )
        return Outcome(answer, product, subscription)
    plan = subscription.plan
    wait = _rate_limited(credential, product, plan.rate_per_minute)
    if wait:
        answer = _error(429, "rate_limited", "调用过于频繁", "Rate limit exceeded")
        answer.headers["Retry-After"] = str(wait)
        return Outcome(answer, product, subscription)
    try:
        typed = params.validate(params.parse_specs(product.parameters), values)
    except params.ParamError as error:
        problems = [
            {"name": p.name, "code": p.code, "message": f"{p.zh} / {p.en}"} for p in error.problems
        ]
        answer = _error(400, "invalid_parameter", "参数无效", "Invalid parameters", errors=problems)
        return Outcome(answer, product, subscription)
    params_hash = params.params_hash(product.code, typed)
    charge = _charge(subscription, product, rows=0)
    exhausted = _exhausted(charge)
    if exhausted is not None:
        return Outcome(exhausted, product, subscription, params_hash=params_hash)
    released = release(product, typed, grant)
    if isinstance(released, engine.Refused):
        answer = _error(
            422,
            "disclosure_refused",
            f"该参数组合的结果未通过输出控制：{released.message}",
            "The result for these parameters did not pass disclosure control",
            rule=released.rule,
        )
        return Outcome(answer, product, subscription, params_hash=params_hash)
    columns, rows = released.columns, released.rows
    body = _body(product, columns, rows, released.suppressed_cells)
    watermark_id, key_tags = "", []
    if product.record_level and rows and product.key_column in columns:
        rows = _marked(product, subscription, columns, rows)
        body["rows"] = rows
        body["watermarked"] = True
        watermark_id = watermark.mark_id(watermark_key(), subscription.code)
        index = columns.index(product.key_column)
        key_tags = [key_tag(str(r[index])) for r in rows[:MAX_TAGS] if r[index]]
    return Outcome(
        Answer(200, body),
        product,
        subscription,
        replace(charge, rows=len(rows)),
        params_hash=params_hash,
        rows=len(rows),
        watermark_id=watermark_id,
        key_tags=key_tags,
    )


def _body(product: Product, columns: list, rows: list, suppressed_cells: int) -> dict:
    return {
        "product": product.code,
        "filing_no": product.filing_no,
        "columns": columns,
        "rows": rows,
        "row_count": len(rows),
        "suppressed_cells": suppressed_cells,
        "watermarked": False,
    }


def rebuilt(row) -> tuple[Release | None, list[str]]:
    """For an answered call: the release it was served from and the SHA-256 of the body the
    gateway sends from it (marked for the delivery's subscription), for the few releases of
    the same parameters that precede the call (data versions change). For a report download:
    the hashes of the editions released before it. A spot check proves with these, through
    the record's digest, exactly what the consumer received — without the body being kept."""
    product, subscription = row.product, row.subscription
    if row.status != 200 or product is None or subscription is None:
        return None, []
    if product.kind == ProductKind.REPORT:
        released = ReportEdition.objects.filter(
            product=product,
            status=ReportEdition.Status.RELEASED,
            reviewed_at__lte=row.created_at,
        )
        hashes = [h for e in released for h in (e.pdf_sha256, e.docx_sha256)]
        return None, [h for h in hashes if delivery.body_matches(row, h)]
    candidates = Release.objects.filter(
        product=product, params_hash=row.params_hash, created_at__lte=row.created_at
    ).order_by("-created_at", "-pk")[:3]
    for candidate in candidates:
        body = _body(product, candidate.columns, candidate.rows, candidate.suppressed_cells)
        if row.watermark_id:
            body["rows"] = _marked(product, subscription, candidate.columns, candidate.rows)
            body["watermarked"] = True
        body["trace_id"] = row.trace_id
        digest = hashlib.sha256(_json(body)).hexdigest()
        if delivery.body_matches(row, digest):
            return candidate, [digest]
    return (candidates[0] if candidates else None), []


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
    return Usage.objects.filter(key=f"s:{subscription.pk}", period=quota_month()).first()
