"""交付记录 and their anchoring: every delivery gets a digest; digests are anchored on the
ledger in batches, every PDAO_DELIVERY_BATCH_SIZE deliveries or PDAO_DELIVERY_BATCH_SECONDS
seconds after the first un-anchored one, whichever comes first ("可流通、可审计、可追溯")."""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from pdao.core import monitoring
from pdao.core.identity import SCHEDULER
from pdao.ledger.services import anchor
from pdao.products.models import Delivery, DeliveryBatch
from pdao.products.tasks import anchor_deliveries

BATCH_LIMIT = 10_000  # deliveries per ledger entry at most


def digest_of(fields: dict) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    *,
    trace_id: str,
    credential,
    consumer_id: int,
    product,
    subscription,
    status: int,
    code: str,
    body: bytes,
    latency_ms: float,
    source_ip: str | None,
    params_hash: str = "",
    rows: int = 0,
    watermark_id: str = "",
    key_tags: list | None = None,
) -> Delivery:
    """Write one delivery record with its digest (over everything recorded and the SHA-256 of
    the body that was sent)."""
    now = timezone.now()
    row = Delivery(
        trace_id=trace_id,
        consumer_id=consumer_id,
        credential=credential,
        product=product,
        subscription=subscription,
        params_hash=params_hash,
        rows=rows,
        bytes=len(body),
        status=status,
        code=code,
        latency_ms=latency_ms,
        watermark_id=watermark_id,
        key_tags=key_tags or [],
        source_ip=source_ip,
        created_at=now,
    )
    row.digest = digest_of(_fields(row, hashlib.sha256(body).hexdigest()))
    row.save(force_insert=True)
    transaction.on_commit(functools.partial(_after_delivery, row.pk))
    return row


def _fields(row: Delivery, body_sha256: str) -> dict:
    """What a delivery's digest covers: everything recorded, and the SHA-256 of the body."""
    return {
        "trace_id": row.trace_id,
        "consumer": row.consumer_id,
        "credential": row.credential.application.client_id if row.credential else "",
        "product": row.product.code if row.product else "",
        "subscription": row.subscription.code if row.subscription else "",
        "params_hash": row.params_hash,
        "rows": row.rows,
        "bytes": row.bytes,
        "status": row.status,
        "code": row.code,
        "watermark_id": row.watermark_id,
        "body_sha256": body_sha256,
        "at": row.created_at.isoformat(),
    }


def body_matches(row: Delivery, body_sha256: str) -> bool:
    """Whether the record's digest says this body (by its SHA-256) is what was sent. A spot
    check rebuilds the body from the zone's release and proves it without keeping it."""
    return digest_of(_fields(row, body_sha256)) == row.digest


def _after_delivery(pk: int) -> None:
    """Every N-th delivery (by its id, so no query is needed and any process may be the one)
    anchors what is pending; the first delivery after a batch starts the S-second timer.
    Monitoring is kept scheduled too."""
    monitoring.watch()
    if pk % settings.DELIVERY_BATCH_SIZE == 0:
        anchor_pending()
    elif cache.add("pdao:deliveries:timer", 1, settings.DELIVERY_BATCH_SECONDS):
        anchor_deliveries.using(
            run_after=timezone.now() + timedelta(seconds=settings.DELIVERY_BATCH_SECONDS)
        ).enqueue()


def batch_digest(digests: list[str]) -> str:
    """SHA-256 over the batch's delivery digests, one per line in id order."""
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


@transaction.atomic
def anchor_pending(*, limit: int = BATCH_LIMIT) -> DeliveryBatch | None:
    """Anchor the un-anchored deliveries (oldest first, up to `limit`) as one batch."""
    rows = list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(batch__isnull=True)
        .order_by("pk")
        .values_list("pk", "digest")[:limit]
    )
    if not rows:
        return None
    batch = DeliveryBatch.objects.create(
        first_id=rows[0][0],
        last_id=rows[-1][0],
        count=len(rows),
        digest=batch_digest([d for _pk, d in rows]),
    )
    Delivery.objects.filter(pk__in=[pk for pk, _d in rows]).update(batch=batch)
    anchor(
        "delivery.batch",
        content_hash=batch.digest,
        by=SCHEDULER,
        target=batch,
        subject={"first": str(batch.first_id), "last": str(batch.last_id)},
    )
    return batch


def verify_batch(batch: DeliveryBatch) -> bool:
    """Recompute a batch's digest from its delivery records (tamper check)."""
    digests = list(batch.deliveries.order_by("pk").values_list("digest", flat=True))
    return len(digests) == batch.count and batch_digest(digests) == batch.digest
