"""Each monitoring rule fires on a crafted stream of records and stays quiet on ordinary
traffic; alerts merge repeated findings and move through their workflow with notes."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.core.rules import RuleViolation
from pdao.products import services as products
from pdao.products.models import Delivery
from pdao.supervision import services
from pdao.supervision.models import Alert, MonitoringRule
from pdao.zone.models import ZoneQuery
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


@pytest.fixture
def traffic(market):  # noqa: F811
    product = market.to_market(market.product())
    subscription = market.subscribe(product)
    credential, _ = products.create_credential(by=market.consumer, name="x")
    return market, product, subscription, credential


def deliveries(traffic, n, *, at, code="ok", ip="10.0.0.8", status=200):
    _market, product, subscription, credential = traffic
    rows = [
        Delivery(
            trace_id=uuid.uuid4().hex, consumer=credential.organisation,
            credential=credential, product=product, subscription=subscription, status=status,
            code=code, source_ip=ip, digest="0" * 64, created_at=at - timedelta(seconds=i),
        )
        for i in range(n)
    ]  # fmt: skip
    Delivery.objects.bulk_create(rows)


def queries(authorization, n, *, decision="refused", rule="columns.unauthorized", tables=None,
            columns=None, epsilon=0.0, at=None, near=0, flips=0):  # fmt: skip
    made = ZoneQuery.objects.bulk_create(
        ZoneQuery(authorization=authorization, sql="SELECT …", form="aggregate",
                  decision=decision, rule=rule, tables=tables or ["社保缴纳记录"],
                  columns=columns or ["区县"], epsilon_spent=epsilon, near_numbers=near,
                  presence_flips=flips)
        for _ in range(n)
    )  # fmt: skip
    if at is not None:
        ZoneQuery.objects.filter(pk__in=[q.pk for q in made]).update(created_at=at)


def raised(code, now=None):
    return [a for a in services.run_rules(now=now or timezone.now(), codes=[code])]


def test_volume_spike_fires_on_a_burst_and_not_on_steady_calls(traffic):
    now = timezone.now()
    deliveries(traffic, 10, at=now)
    assert raised("volume_spike", now) == []
    deliveries(traffic, 25, at=now - timedelta(minutes=1))
    (alert,) = raised("volume_spike", now)
    assert "35 次" in alert.title and alert.severity == "high"
    assert alert.evidence and alert.evidence[0]["url"].startswith("/products/deliveries/?trace=")


def test_off_hours_fires_at_night_only(traffic):
    night = datetime.combine(timezone.localdate(), datetime.min.time(), TZ) + timedelta(hours=3)
    day = night + timedelta(hours=8)
    deliveries(traffic, 12, at=day - timedelta(minutes=5))
    assert raised("off_hours", day) == []
    deliveries(traffic, 12, at=night - timedelta(minutes=5))
    (alert,) = raised("off_hours", night)
    assert "0:00–6:00" in alert.title


def test_calls_and_queries_after_a_suspension_fire(traffic):
    shop = traffic[0]
    now = timezone.now()
    deliveries(traffic, 3, at=now)
    assert raised("after_stop", now) == []
    deliveries(traffic, 1, at=now, code="authorization_suspended", status=403)
    queries(shop.authorization, 1, rule="authorization.suspended")
    subjects = {a.subject for a in raised("after_stop")}
    assert subjects == {
        f"consumer:{shop.consumer.organisation_id}/product:{traffic[1].code}",
        f"authorization:{shop.authorization.code}",
    }


def test_probing_fires_on_repeated_refusals(traffic):
    shop = traffic[0]
    queries(shop.authorization, 9)
    assert raised("probing") == []
    queries(shop.authorization, 1)
    (alert,) = raised("probing")
    assert "10 次专区查询被拒绝" in alert.title
    assert alert.evidence[0]["url"].startswith("/zone/queries/")


def test_differencing_fires_on_near_identical_queries_and_numbers_one_person_apart(traffic):
    shop = traffic[0]
    queries(shop.authorization, 19, decision="released", rule="")
    assert raised("differencing") == []
    queries(shop.authorization, 1, decision="released", rule="")
    assert len(raised("differencing")) == 1
    Alert.objects.all().delete()
    ZoneQuery.objects.all().delete()
    # Answers the register gave an earlier number's value (fewer than k people apart): pairs.
    for n, columns in enumerate((["区县"], ["缴费金额"], ["参保月份"])):
        queries(shop.authorization, 1, decision="released", rule="", columns=columns, near=5 + n)
    assert raised("differencing") == []  # 18 numbers
    queries(shop.authorization, 1, decision="released", rule="", columns=["险种"], near=2)
    (alert,) = raised("differencing")
    assert "20 个输出数值与此前输出相差不足 k 人" in alert.title


def test_near_k_fires_on_pairs_whose_groups_show_in_one_query_only(traffic):
    shop = traffic[0]
    queries(shop.authorization, 3, decision="released", rule="", near=4)
    queries(shop.authorization, 1, decision="released", rule="", near=2, flips=1)
    assert raised("near_k") == []  # a threshold moved honestly can make one
    queries(shop.authorization, 1, decision="released", rule="", near=1, flips=1,
            at=timezone.now() - timedelta(hours=20))  # fmt: skip
    (alert,) = raised("near_k")
    assert alert.subject == f"authorization:{shop.authorization.code}"
    assert "2 个分组" in alert.title and alert.severity == "high"
    queries(shop.authorization, 1, decision="released", rule="", flips=3,
            at=timezone.now() - timedelta(hours=30))  # fmt: skip
    assert raised("near_k") == []  # outside the day's window; the open alert is updated


def test_budget_low_fires_near_exhaustion(traffic):
    shop = traffic[0]
    type(shop.authorization).objects.filter(pk=shop.authorization.pk).update(epsilon_total=5)
    queries(shop.authorization, 4, decision="released", rule="", epsilon=1.0)
    assert raised("budget_low") == []
    queries(shop.authorization, 1, decision="released", rule="", epsilon=0.6)
    (alert,) = raised("budget_low")
    assert "ε=0.40" in alert.title


def test_over_quota_fires_on_quota_refusals(traffic):
    now = timezone.now()
    deliveries(traffic, 5, at=now)
    assert raised("over_quota", now) == []
    deliveries(traffic, 1, at=now, code="quota_calls", status=429)
    assert len(raised("over_quota", now)) == 1


def test_new_source_fires_when_a_known_credential_moves(traffic):
    now = timezone.now()
    deliveries(traffic, 1, at=now)  # a brand-new credential: nothing to compare with
    assert raised("new_source", now) == []
    Delivery.objects.update(created_at=now - timedelta(days=2))
    deliveries(traffic, 2, at=now)  # the same address again
    assert raised("new_source", now) == []
    deliveries(traffic, 1, at=now, ip="203.0.113.9")
    (alert,) = raised("new_source", now)
    assert "203.0.113.9" in alert.title


def test_repeated_findings_merge_and_the_workflow_keeps_notes(traffic):
    shop = traffic[0]
    queries(shop.authorization, 10)
    (alert,) = raised("probing")
    assert raised("probing") == []
    alert.refresh_from_db()
    assert alert.count == 2
    assert AuditEvent.objects.filter(action="alert.raise", object_id=str(alert.pk)).count() == 1

    with pytest.raises(RuleViolation):
        services.handle_alert(alert, by=shop.operator, status="resolved", note="x")
    services.handle_alert(alert, by=shop.supervisor, status="acknowledged", note="核查中")
    with pytest.raises(RuleViolation):
        services.handle_alert(alert, by=shop.supervisor, status="new", note="x")
    services.handle_alert(alert, by=shop.supervisor, status="false_positive", note="压测")
    alert.refresh_from_db()
    assert [n["status"] for n in alert.notes] == ["acknowledged", "false_positive"]
    assert len(raised("probing")) == 1  # closed: the next finding opens a new alert


def test_supervisor_tunes_a_rule_and_it_is_audited(traffic):
    shop = traffic[0]
    services.ensure_rules()
    rule = MonitoringRule.objects.get(code="probing")
    services.update_rule(rule, by=shop.supervisor, enabled=True, severity="critical",
                         threshold=3, window_minutes=15)  # fmt: skip
    queries(shop.authorization, 3)
    (alert,) = raised("probing")
    assert alert.severity == "critical"
    assert AuditEvent.objects.filter(action="monitoring_rule.update").exists()
    services.update_rule(rule, by=shop.supervisor, enabled=False, severity="critical",
                         threshold=3, window_minutes=15)  # fmt: skip
    assert raised("probing") == []
    with pytest.raises(RuleViolation):
        services.update_rule(rule, by=shop.supervisor, enabled=True, severity="x",
                             threshold=3, window_minutes=15)  # fmt: skip


def test_ordinary_traffic_raises_nothing(traffic):
    """A day of the demo's kind of use: a few calls an hour from one address, released zone
    queries on varied columns — every rule stays quiet."""
    shop = traffic[0]
    now = datetime.combine(timezone.localdate(), datetime.min.time(), TZ) + timedelta(hours=15)
    for hours in range(1, 9):
        deliveries(traffic, 3, at=now - timedelta(hours=hours))
    deliveries(traffic, 2, at=now - timedelta(minutes=3))
    for i in range(6):
        queries(shop.authorization, 1, decision="released", rule="", columns=[f"c{i}"])
    queries(shop.authorization, 2)  # a couple of honest mistakes
    assert services.run_rules(now=now) == []


@pytest.mark.django_db(transaction=True)
def test_monitoring_is_scheduled_by_the_events_that_matter(market):  # noqa: F811
    from django_tasks_db.models import DBTaskResult

    product = market.to_market(market.product())
    market.subscribe(product)
    credential, _ = products.create_credential(by=market.consumer, name="x")
    from pdao.products import gateway

    gateway.call(credential, product.code, {"since": "2024-02-01"}, source_ip=None)
    queued = DBTaskResult.objects.filter(task_path__endswith="supervision.tasks.monitor")
    assert queued.filter(status="READY").count() == 1
    gateway.call(credential, product.code, {"since": "2024-02-01"}, source_ip=None)
    assert queued.filter(status="READY").count() == 1  # one queued run, not one per event


def test_quality_rule_fires_on_a_poor_new_version(traffic):
    from pdao.catalogue.models import Version

    version = Version.objects.filter(status="active").first()
    assert raised("quality") == []
    Version.objects.filter(pk=version.pk).update(quality_score=55.0)
    (alert,) = raised("quality")
    assert "55" in alert.title


def test_a_modified_parquet_file_is_detected_and_raises_a_critical_alert(traffic):
    import os

    from pdao.catalogue import services as catalogue
    from pdao.catalogue.models import Version

    assert raised("tamper_files") == []
    version = Version.objects.filter(status="active").first()
    path = catalogue.versions_dir() / version.path
    os.chmod(path, 0o644)
    with open(path, "ab") as handle:
        handle.write(b"\0")
    from django.core.cache import cache

    cache.clear()  # the check runs at most once per window: a new window
    (alert,) = raised("tamper_files")
    assert alert.severity == "critical" and f"第 {version.number} 版" in alert.title


def test_a_modified_ledger_entry_is_detected_and_raises_a_critical_alert(traffic):
    from django.core.cache import cache
    from django.db import connection

    from pdao.ledger import services as ledger
    from pdao.ledger.models import LedgerEntry

    ledger.sequence_pending()
    ledger.publish_checkpoint()
    assert raised("ledger") == []
    row = LedgerEntry.objects.filter(position__isnull=False).order_by("position")[2]
    forged = bytes(row.entry).replace(b'"type":"', b'"type":"x', 1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LedgerEntry._meta.db_table} SET entry = %s WHERE id = %s", [forged, row.pk]
        )
    cache.clear()
    (alert,) = raised("ledger")
    assert alert.severity == "critical" and "账本校验失败" in alert.title
