"""Monitoring rules (监测预警) over the audit, zone-query and delivery records.

Each rule is a function `(rule, now) -> list[Finding]`: it reads the records of its window and
says which subjects cross the supervisor's threshold, with links to the records behind it
(never data). `DEFAULTS` is the catalogue of rules with their starting settings; the supervisor
changes threshold, window, severity and whether a rule runs; it lives beside the choices
(`supervision/choices.py`) so the models read it without importing the rules' readers.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization
from pdao.catalogue import services as catalogue
from pdao.catalogue.choices import VersionStatus
from pdao.catalogue.models import Version
from pdao.core.messages import Message
from pdao.ledger.services import verify_ledger
from pdao.products import editions
from pdao.products.models import Delivery, ReportEdition
from pdao.supervision.choices import DEFAULTS, Default  # noqa: F401 — re-exported
from pdao.zone.models import DerivedDataset, ZoneQuery
from pdao.zone.services import derived_dir

STOPPED = (
    "authorization_suspended",
    "authorization_revoked",
    "authorization_expired",
    "authorization_not_started",
)
MAX_EVIDENCE = 8


@dataclass
class Finding:
    subject: str  # what the alert is about, e.g. "consumer:12/product:3"
    message: Message  # ids and counts only, rendered in the reader's language
    evidence: list[dict] = field(default_factory=list)  # [{"code", "params", "url"}]

    @property
    def title(self) -> str:
        return str(self.message)


def _window(rule, now: datetime) -> datetime:
    return now - timedelta(minutes=rule.window_minutes)


def _link(message: Message, url: str) -> dict:
    return message.as_dict() | {"url": url}


def _delivery_links(rows, limit: int = MAX_EVIDENCE) -> list[dict]:
    base = reverse("products:deliveries")
    return [_link(Message("evidence.delivery", trace=t), f"{base}?trace={t}") for t in rows[:limit]]


def _query_links(pks, limit: int = MAX_EVIDENCE) -> list[dict]:
    return [
        _link(Message("evidence.query", pk=pk), reverse("zone:query_detail", args=[pk]))
        for pk in pks[:limit]
    ]


def _version_link(version) -> dict:
    return _link(
        Message("evidence.version", r=version.resource.name, v=version.number),
        reverse("catalogue:resource_detail", args=[version.resource_id]),
    )


def volume_spike(rule, now: datetime) -> list[Finding]:
    since = _window(rule, now)
    recent = (
        Delivery.objects.filter(created_at__gte=since, created_at__lte=now, product__isnull=False)
        .values("consumer_id", "product_id", "product__code")
        .annotate(n=Count("id"))
    )
    findings = []
    windows_per_day = max(1, 24 * 60 // rule.window_minutes)
    for row in recent:
        if row["n"] < 20:
            continue
        before = Delivery.objects.filter(
            consumer_id=row["consumer_id"],
            product_id=row["product_id"],
            created_at__gte=since - timedelta(days=1),
            created_at__lt=since,
        ).count()
        baseline = max(1.0, before / windows_per_day)
        if row["n"] >= rule.threshold * baseline:
            traces = list(
                Delivery.objects.filter(
                    consumer_id=row["consumer_id"], product_id=row["product_id"],
                    created_at__gte=since,
                ).order_by("-pk").values_list("trace_id", flat=True)[:MAX_EVIDENCE]
            )  # fmt: skip
            findings.append(
                Finding(
                    f"consumer:{row['consumer_id']}/product:{row['product__code']}",
                    Message(
                        "alert.volume_spike",
                        product=row["product__code"],
                        minutes=rule.window_minutes,
                        n=row["n"],
                        baseline=round(baseline, 1),
                        ratio=round(row["n"] / baseline, 1),
                    ),
                    _delivery_links(traces),
                )
            )
    return findings


def off_hours(rule, now: datetime) -> list[Finding]:
    since = _window(rule, now)
    rows = Delivery.objects.filter(created_at__gte=since, created_at__lte=now).values_list(
        "consumer_id", "created_at", "trace_id"
    )
    night = defaultdict(list)
    for consumer, at, trace in rows:
        if timezone.localtime(at).hour < 6:
            night[consumer].append(trace)
    return [
        Finding(
            f"consumer:{consumer}",
            Message("alert.off_hours", consumer=consumer, n=len(traces)),
            _delivery_links(traces),
        )
        for consumer, traces in night.items()
        if len(traces) >= rule.threshold
    ]


def after_stop(rule, now: datetime) -> list[Finding]:
    since = _window(rule, now)
    findings = []
    calls = defaultdict(list)
    for consumer, product, trace in Delivery.objects.filter(
        created_at__gte=since, created_at__lte=now, code__in=STOPPED
    ).values_list("consumer_id", "product__code", "trace_id"):
        calls[(consumer, product)].append(trace)
    for (consumer, product), traces in calls.items():
        if len(traces) >= rule.threshold:
            findings.append(
                Finding(
                    f"consumer:{consumer}/product:{product}",
                    Message(
                        "alert.after_stop_calls", consumer=consumer, product=product, n=len(traces)
                    ),
                    _delivery_links(traces),
                )
            )
    queries = defaultdict(list)
    for code, pk in ZoneQuery.objects.filter(
        created_at__gte=since, created_at__lte=now, rule__startswith="authorization."
    ).values_list("authorization__code", "pk"):
        queries[code].append(pk)
    for code, pks in queries.items():
        if len(pks) >= rule.threshold:
            findings.append(
                Finding(
                    f"authorization:{code}",
                    Message("alert.after_stop_queries", a=code, n=len(pks)),
                    _query_links(pks),
                )
            )
    return findings


def probing(rule, now: datetime) -> list[Finding]:
    since = _window(rule, now)
    refused = defaultdict(list)
    for code, pk in (
        ZoneQuery.objects.filter(created_at__gte=since, created_at__lte=now, decision="refused")
        .exclude(rule__startswith="authorization.")
        .values_list("authorization__code", "pk")
    ):
        refused[code].append(pk)
    return [
        Finding(
            f"authorization:{code}",
            Message("alert.probing", a=code, minutes=rule.window_minutes, n=len(pks)),
            _query_links(pks),
        )
        for code, pks in refused.items()
        if len(pks) >= rule.threshold
    ]


def differencing(rule, now: datetime) -> list[Finding]:
    since = _window(rule, now)
    rows = ZoneQuery.objects.filter(created_at__gte=since, created_at__lte=now).values_list(
        "authorization__code", "tables", "columns", "near_numbers", "pk"
    )
    same = defaultdict(list)
    near = defaultdict(list)
    for code, tables, columns, near_numbers, pk in rows:
        same[(code, tuple(sorted(tables)), tuple(sorted(columns)))].append(pk)
        if near_numbers:
            near[code] += [pk] * near_numbers
    findings = {}
    for (code, tables, _columns), pks in same.items():
        if len(pks) >= rule.threshold:
            findings[code] = Finding(
                f"authorization:{code}",
                Message(
                    "alert.differencing_same",
                    a=code,
                    minutes=rule.window_minutes,
                    tables=list(tables),
                    n=len(pks),
                ),
                _query_links(pks),
            )
    for code, pks in near.items():
        if code not in findings and len(pks) >= rule.threshold:
            findings[code] = Finding(
                f"authorization:{code}",
                Message("alert.differencing_near", a=code, n=len(pks)),
                _query_links(sorted(set(pks))),
            )
    return list(findings.values())


def near_k(rule, now: datetime) -> list[Finding]:
    """Pairs around k: cells that showed while a remembered cell a few people away did not (or
    the other way round). Honest use rarely makes one — it takes two questions whose groups
    differ by a person or two, with a group near k people — and each is a membership test."""
    since = _window(rule, now)
    rows = ZoneQuery.objects.filter(
        created_at__gte=since, created_at__lte=now, presence_flips__gt=0
    ).values_list("authorization__code", "presence_flips", "pk")
    flips, pks = Counter(), defaultdict(list)
    for code, count, pk in rows:
        flips[code] += count
        pks[code].append(pk)
    return [
        Finding(
            f"authorization:{code}",
            Message("alert.near_k", a=code, hours=rule.window_minutes // 60, n=count),
            _query_links(pks[code]),
        )
        for code, count in flips.items()
        if count >= rule.threshold
    ]


def budget_low(rule, now: datetime) -> list[Finding]:
    findings = []
    live = Authorization.objects.filter(
        status=AuthorizationStatus.ACTIVE, epsilon_total__gt=0
    ).annotate(spent=Sum("zone_queries__epsilon_spent"))
    for authorization in live:
        left = max(0.0, authorization.epsilon_total - (authorization.spent or 0.0))
        share = left / authorization.epsilon_total
        if share <= rule.threshold:
            findings.append(
                Finding(
                    f"authorization:{authorization.code}",
                    Message(
                        "alert.budget_low",
                        a=authorization.code,
                        left=round(left, 2),
                        percent=round(share * 100),
                    ),
                    [
                        _link(
                            Message("evidence.authorization", a=authorization.code),
                            reverse("authorization:authorization_detail", args=[authorization.pk]),
                        )
                    ],
                )
            )
    return findings


def over_quota(rule, now: datetime) -> list[Finding]:
    since = _window(rule, now)
    refused = defaultdict(list)
    for subscription, trace in Delivery.objects.filter(
        created_at__gte=since, created_at__lte=now, code__startswith="quota_"
    ).values_list("subscription__code", "trace_id"):
        refused[subscription].append(trace)
    return [
        Finding(
            f"subscription:{code}",
            Message("alert.over_quota", s=code, minutes=rule.window_minutes, n=len(traces)),
            _delivery_links(traces),
        )
        for code, traces in refused.items()
        if len(traces) >= rule.threshold
    ]


def new_source(rule, now: datetime) -> list[Finding]:
    since = _window(rule, now)
    recent = defaultdict(list)
    for credential, address, trace in (
        Delivery.objects.filter(created_at__gte=since, created_at__lte=now)
        .exclude(credential__isnull=True)
        .exclude(source_ip__isnull=True)
        .values_list("credential_id", "source_ip", "trace_id")
    ):
        recent[(credential, address)].append(trace)
    credentials = {c for c, _a in recent}
    known = Counter(
        Delivery.objects.filter(
            credential_id__in=credentials,
            created_at__gte=since - timedelta(days=30),
            created_at__lt=since,
        ).values_list("credential_id", "source_ip")
    )
    used_before = {c for c, _a in known}
    findings = []
    for (credential, address), traces in recent.items():
        # A credential with no history at all is new, not moved: nothing to compare with.
        moved = credential in used_before and (credential, address) not in known
        if moved and len(traces) >= rule.threshold:
            findings.append(
                Finding(
                    f"credential:{credential}/source:{address}",
                    Message(
                        "alert.new_source", credential=credential, address=address, n=len(traces)
                    ),
                    _delivery_links(traces),
                )
            )
    return findings


def quality(rule, now: datetime) -> list[Finding]:
    since = _window(rule, now)
    return [
        Finding(
            f"version:{version.pk}",
            Message("alert.quality", r=version.resource.name, v=version.number,
                    score=version.quality_score, threshold=rule.threshold),
            [_version_link(version)],
        )
        for version in Version.objects.filter(
            created_at__gte=since, created_at__lte=now, quality_score__lt=rule.threshold
        ).select_related("resource")
    ]  # fmt: skip


def _due(rule, now: datetime) -> bool:
    """Expensive checks run at most once per window, whichever process gets there first."""
    return cache.add(f"pdao:supervision:due:{rule.code}", now.isoformat(), rule.window_minutes * 60)


def _sha256(path) -> str | None:
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def tamper_files(rule, now: datetime, *, force: bool = False) -> list[Finding]:
    """数据防篡改: every stored dataset version (ready or active), derived dataset and report
    file is re-hashed against the hash recorded when it was made (and anchored on the ledger)."""
    if not (force or _due(rule, now)):
        return []
    findings = []
    for version in Version.objects.filter(
        status__in=[VersionStatus.READY, VersionStatus.ACTIVE]
    ).select_related("resource"):
        if _sha256(catalogue.versions_dir() / version.path) != version.sha256:
            findings.append(Finding(
                f"version:{version.pk}",
                Message("alert.tamper_version", r=version.resource.name, v=version.number),
                [_version_link(version)],
            ))  # fmt: skip
    for derived in DerivedDataset.objects.select_related("authorization"):
        if _sha256(derived_dir() / derived.path) != derived.sha256:
            findings.append(Finding(
                f"derived:{derived.pk}",
                Message("alert.tamper_derived", name=derived.name, a=derived.authorization.code),
            ))  # fmt: skip
    for edition in ReportEdition.objects.select_related("product"):
        for fmt, digest in (("pdf", edition.pdf_sha256), ("docx", edition.docx_sha256)):
            if _sha256(editions.path_of(digest, fmt)) != digest:
                findings.append(Finding(
                    f"report:{edition.pk}:{fmt}",
                    Message("alert.tamper_report", product=edition.product.code,
                            n=edition.number, format=fmt),
                    [{"label": edition.product.code,
                      "url": reverse("products:product_detail", args=[edition.product.code])}],
                ))  # fmt: skip
    return findings


def ledger(rule, now: datetime, *, force: bool = False) -> list[Finding]:
    """账本校验: the whole log recomputed from its entries (pdao.ledger.services.verify_ledger)."""
    if not (force or _due(rule, now)):
        return []
    report = verify_ledger()
    if report.ok:
        return []
    return [
        Finding(
            "ledger",
            # The problem is the ledger's own sentence, stored as it was written.
            Message("alert.ledger", problem=str(report.problems[0])[:300]),
            [_link(Message("evidence.ledger"), reverse("ledger:overview"))],
        )
    ]


RULES = {
    "volume_spike": volume_spike,
    "off_hours": off_hours,
    "after_stop": after_stop,
    "probing": probing,
    "differencing": differencing,
    "near_k": near_k,
    "budget_low": budget_low,
    "over_quota": over_quota,
    "new_source": new_source,
    "quality": quality,
    "tamper_files": tamper_files,
    "ledger": ledger,
}
