"""Generate a day of realistic traffic on the demo platform with every kind of misuse the
monitoring rules watch for injected, run the rules, and report what they caught:

    manage.py simulate_traffic [--seed 7] [--json]

Normal traffic: each subscription calls its product a few times an hour in working hours from
its one address (a 24-hour service keeps calling lightly at night), each authorization runs
varied zone queries with the odd refusal. Injected misuse, each on its own subject: a call
burst, night-time use, calls after suspension, probing, a differencing pattern, pairs built
around k, a privacy budget nearly spent, quota refusals, a credential moved to a new address,
a poor new dataset version, a stored file whose hash no longer matches, and a forged ledger
entry.

Everything runs in one transaction that is rolled back: nothing stays in the database. Needs
the demo data (seed_demo). Ends with a line `recall=R precision=P`.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from pdao.authorization.models import Authorization
from pdao.catalogue.models import Version
from pdao.ledger import services as ledger
from pdao.ledger.models import LedgerEntry
from pdao.products.models import Delivery, Subscription
from pdao.supervision import services
from pdao.zone.models import ZoneQuery


class Command(BaseCommand):
    help = "Simulate normal traffic with injected misuse and report detection (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, seed=7, as_json=False, **options):
        subscriptions = list(
            Subscription.objects.filter(status="active")
            .select_related("product", "consumer")
            .order_by("pk")
        )
        authorizations = list(Authorization.objects.filter(status="active").order_by("pk"))
        if len(subscriptions) < 4 or len(authorizations) < 3:
            raise CommandError("simulate_traffic needs the demo data: run seed_demo first.")
        with transaction.atomic():
            # A reproducible simulation, not a secret: the standard generator is the right one.
            result = _simulate(subscriptions, authorizations, random.Random(seed))  # noqa: S311
            transaction.set_rollback(True)
        cache.clear()
        if as_json:
            self.stdout.write(_json(result))
            return
        for kind, caught in result["kinds"].items():
            self.stdout.write(f"  {kind:<14} {'detected' if caught else 'MISSED'}")
        for alert in result["false_alerts"]:
            self.stdout.write(f"  false alert: {alert}")
        self.stdout.write(
            f"normal: {result['normal_calls']} calls, {result['normal_queries']} zone queries; "
            f"false alerts: {len(result['false_alerts'])}"
        )
        self.stdout.write(f"recall={result['recall']:.2f} precision={result['precision']:.2f}")


def _json(result) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2)


def _credential(subscription):
    return subscription.consumer.credentials.filter(revoked_at__isnull=True).first()


def _deliveries(subscription, at_times, *, code="ok", ip=None, status=200):
    credential = _credential(subscription)
    Delivery.objects.bulk_create(
        Delivery(
            trace_id=uuid.uuid4().hex, consumer=subscription.consumer, credential=credential,
            product=subscription.product, subscription=subscription, status=status, code=code,
            source_ip=ip or _home(subscription), digest="0" * 64, created_at=at, rows=5,
        )
        for at in at_times
    )  # fmt: skip
    return len(at_times)


def _home(subscription) -> str:
    """Each consumer calls from its own address (one per organisation)."""
    return f"10.20.{subscription.consumer_id // 250 % 250}.{10 + subscription.consumer_id % 240}"


def _queries(authorization, n, *, at, decision="released", rule="", columns=None,
             epsilon=0.0, rng=None, flips=0):  # fmt: skip
    rows = ZoneQuery.objects.bulk_create(
        ZoneQuery(
            authorization=authorization, sql="SELECT …", form="aggregate", decision=decision,
            rule=rule, tables=["表"], epsilon_spent=epsilon, presence_flips=flips,
            columns=columns or [f"列{rng.randrange(8) if rng else 0}", f"列{i % 5}"],
        )
        for i in range(n)
    )  # fmt: skip
    ZoneQuery.objects.filter(pk__in=[r.pk for r in rows]).update(created_at=at)
    return n


def _simulate(subscriptions, authorizations, rng: random.Random) -> dict:
    cache.clear()
    ledger.sequence_pending()
    local = timezone.localtime()
    day = local.replace(hour=15, minute=0, second=0, microsecond=0)
    if day > local:
        day -= timedelta(days=1)
    night = day.replace(hour=3, minute=30)
    normal_calls = normal_queries = 0

    # --- Normal traffic: the previous 24 hours up to `day`, and a night service ------------
    for subscription in subscriptions:
        times = []
        for hour in range(24):
            start = day - timedelta(hours=hour)
            if 8 <= start.hour <= 20:
                times += [start - timedelta(minutes=rng.randrange(60)) for _ in range(3)]
        times += [day - timedelta(minutes=rng.randrange(1, 10))]  # one call in the window
        normal_calls += _deliveries(subscription, times)
    night_service = subscriptions[-1]  # a 24-hour system: two calls an hour at night too
    normal_calls += _deliveries(night_service, [night - timedelta(minutes=m) for m in (5, 35)])
    for authorization in authorizations:
        normal_queries += _queries(authorization, 6, at=day - timedelta(minutes=20), rng=rng)
        normal_queries += _queries(
            authorization, 2, at=day - timedelta(minutes=15), decision="refused",
            rule="columns.unauthorized", rng=rng,
        )  # fmt: skip

    # --- Injected misuse, each on its own subject -------------------------------------------
    a, b, c, d = subscriptions[0], subscriptions[1], subscriptions[2], subscriptions[3]
    x, y, z = authorizations[0], authorizations[1], authorizations[2]
    expected = {}
    _deliveries(a, [day - timedelta(seconds=10 * i) for i in range(45)])
    expected["volume_spike"] = f"consumer:{a.consumer_id}/product:{a.product.code}"
    _deliveries(b, [night - timedelta(minutes=2 * i) for i in range(14)])
    expected["off_hours"] = f"consumer:{b.consumer_id}"
    _deliveries(b, [day - timedelta(minutes=2)], code="authorization_suspended", status=403)
    expected["after_stop"] = f"consumer:{b.consumer_id}/product:{b.product.code}"
    _queries(x, 15, at=day - timedelta(minutes=5), decision="refused", rule="columns.unauthorized")
    expected["probing"] = f"authorization:{x.code}"
    _queries(y, 25, at=day - timedelta(minutes=10), columns=["区县", "险种"])
    expected["differencing"] = f"authorization:{y.code}"
    _queries(x, 3, at=day - timedelta(hours=5), decision="released", rule="", flips=1,
             columns=["缴费金额"])  # fmt: skip
    expected["near_k"] = f"authorization:{x.code}"
    spent = z.epsilon_total * 0.97 or 1.0
    if not z.epsilon_total:
        Authorization.objects.filter(pk=z.pk).update(epsilon_total=1.0)
    _queries(z, 1, at=day - timedelta(hours=2), epsilon=spent, columns=["ε"])
    expected["budget_low"] = f"authorization:{z.code}"
    _deliveries(c, [day - timedelta(minutes=3)] * 2, code="quota_calls", status=429)
    expected["over_quota"] = f"subscription:{c.code}"
    credential = _credential(d)
    _deliveries(d, [day - timedelta(minutes=1)], ip="203.0.113.77")
    expected["new_source"] = f"credential:{credential.pk}/source:203.0.113.77"
    version = Version.objects.filter(status="active").order_by("pk").first()
    Version.objects.filter(pk=version.pk).update(
        quality_score=42.0, created_at=day - timedelta(minutes=30)
    )
    expected["quality"] = f"version:{version.pk}"
    tampered = Version.objects.filter(status="active").order_by("-pk").first()
    Version.objects.filter(pk=tampered.pk).update(sha256="0" * 64)  # the file no longer matches
    expected["tamper_files"] = f"version:{tampered.pk}"
    row = LedgerEntry.objects.filter(position__isnull=False).order_by("position").first()
    if row is None:
        raise CommandError("the ledger has no sequenced entry to forge")
    forged = bytes(row.entry).replace(b'"type":"', b'"type":"forged-', 1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LedgerEntry._meta.db_table} SET entry = %s WHERE id = %s",  # noqa: S608
            [forged, row.pk],
        )
    expected["ledger"] = "ledger"

    # --- Run the rules as the worker would, each at its moment ------------------------------
    alerts = services.run_rules(now=day, codes=[k for k in expected if k != "off_hours"])
    alerts += services.run_rules(now=night + timedelta(minutes=1), codes=["off_hours"])
    found = {(alert.rule.code, alert.subject) for alert in alerts}
    kinds = {kind: (kind, subject) in found for kind, subject in expected.items()}
    wanted = set(expected.items())
    false = sorted(f"{code} {subject}" for code, subject in found if (code, subject) not in wanted)
    true_alerts = len(found & wanted)
    return {
        "kinds": kinds,
        "false_alerts": false,
        "normal_calls": normal_calls,
        "normal_queries": normal_queries,
        "recall": sum(kinds.values()) / len(kinds),
        "precision": true_alerts / len(found) if found else 1.0,
        "at": datetime.isoformat(day),
    }
