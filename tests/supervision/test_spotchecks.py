"""数据样本抽查: a stratified sample drawn from a recorded seed (the same every time), each
delivery proved against the zone's release through its digest and checked against the filed
output and disclosure policy; findings are concluded, can open an incident, and the completed
check is anchored and filed."""

from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.products import gateway
from pdao.products import services as products
from pdao.products.models import Delivery, Release
from pdao.supervision import spotchecks
from pdao.supervision.models import SpotCheck, SpotCheckItem
from tests.conftest import AUTH_BACKEND
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_allocation_is_proportional_with_one_per_stratum_and_never_above_a_stratum():
    sizes = {"a": 100, "b": 10, "c": 1, "d": 3}
    alloc = spotchecks.allocate(sizes, 20)
    assert sum(alloc.values()) == 20
    assert all(1 <= alloc[k] <= sizes[k] for k in sizes)
    assert alloc["a"] > alloc["b"] > alloc["c"]
    assert spotchecks.allocate(sizes, 500) == sizes


def test_the_same_seed_draws_the_same_sample_and_another_seed_another():
    population = [(pk, pk % 3, pk % 5) for pk in range(1, 2001)]  # 15 strata
    ids, strata = spotchecks.draw("s1", population, 60)
    again, _ = spotchecks.draw("s1", list(reversed(population)), 60)
    other, _ = spotchecks.draw("s2", population, 60)
    assert ids == again and ids != other and len(ids) == 60
    assert len(strata) == 15 and all(drawn >= 1 for _n, drawn in strata.values())
    # Within a stratum the draw is uniform: over many seeds every member is drawn alike.
    counts = Counter()
    small = [(pk, 0, 0) for pk in range(10)]
    for seed in range(3000):
        counts.update(spotchecks.draw(str(seed), small, 2)[0])
    assert set(counts) == set(range(10))
    assert max(counts.values()) < 1.25 * min(counts.values())  # 600 each expected


def test_fewer_draws_than_strata_draw_the_strata_one_each():
    population = [(pk, pk, 1) for pk in range(1, 31)]  # 30 strata of one
    ids, strata = spotchecks.draw("x", population, 5)
    assert len(ids) == 5 and sum(d for _n, d in strata.values()) == 5


def _draw(shop, **extra):
    today = timezone.localdate()
    fields = {"title": "11月抽查", "date_from": today - timedelta(days=1), "date_to": today,
              "size": 6} | extra  # fmt: skip
    return spotchecks.draw_check(by=shop.supervisor, **fields)


def test_a_spot_check_proves_each_sampled_delivery_against_the_release(traffic):
    shop, aggregate, records = traffic
    check = _draw(shop, seed="abc123")

    assert check.population == 2 * (3 + 2)  # answered calls only, per consumer: 3 + 2
    assert len(check.strata) == 4 and sum(s["drawn"] for s in check.strata) == 6
    items = list(check.items.select_related("delivery__product"))
    assert len(items) == 6
    for item in items:
        assert item.checks_passed is True, item.checks
        assert item.checks["content"]["passed"] is True
        assert item.checks["disclosure"]["url"].startswith("/zone/queries/")  # what it read
    kinds = {i.delivery.product.code for i in items}
    assert kinds == {aggregate.code, records.code}
    assert spotchecks.redraw(check)
    assert LedgerEntry.objects.filter(type="spotcheck.draw", object_id=str(check.pk)).exists()
    assert AuditEvent.objects.filter(action="spotcheck.draw").exists()


def test_a_delivery_whose_release_was_altered_fails_the_content_check(traffic):
    _shop, aggregate, _records = traffic
    row = Delivery.objects.filter(product=aggregate, status=200).first()
    release = Release.objects.filter(product=aggregate, params_hash=row.params_hash).first()
    release.rows[0][1] += 1  # someone edits what the zone released, after the fact
    release.save()

    checks = spotchecks.examine(row)
    assert checks["content"]["passed"] is False
    assert checks["record"]["passed"] is True


def test_a_delivery_outside_the_declared_output_or_unmarked_records_fail(traffic):
    _shop, aggregate, records = traffic
    row = Delivery.objects.filter(product=records, status=200).first()
    row.watermark_id = ""  # an unmarked record-level delivery
    assert spotchecks.examine(row)["disclosure"]["passed"] is False

    aggregate.sql = aggregate.sql.replace("AS 人次", "AS 人数")  # edited after filing
    aggregate.save()
    row = Delivery.objects.filter(product=aggregate, status=200).first()
    assert spotchecks.examine(row)["declared_output"]["passed"] is False


def test_refused_calls_can_be_sampled_and_are_checked_for_delivering_nothing(traffic):
    shop, aggregate, _ = traffic
    check = _draw(shop, answered_only=False, size=30, product=aggregate)
    refused = [i for i in check.items.select_related("delivery") if i.delivery.status != 200]
    assert len(refused) == 2
    assert all(i.checks["metering"]["passed"] and i.checks["content"]["passed"] is None
               for i in refused)  # fmt: skip


def test_findings_are_concluded_filed_and_can_open_an_incident(traffic):
    shop, *_ = traffic
    check = _draw(shop, size=3)
    first, second, third = check.items.all()
    with pytest.raises(RuleViolation, match="须写明复核意见"):
        spotchecks.conclude(first, by=shop.supervisor, conclusion="noncompliant", note=" ")
    with pytest.raises(RuleViolation, match="没有执行此操作的权限"):
        spotchecks.conclude(first, by=shop.operator, conclusion="compliant", note="")
    spotchecks.conclude(first, by=shop.supervisor, conclusion="noncompliant", note="输出超出场景")
    spotchecks.conclude(second, by=shop.supervisor, conclusion="compliant", note="")
    with pytest.raises(RuleViolation, match="只有"):
        spotchecks.open_incident(second, by=shop.supervisor)
    with pytest.raises(RuleViolation, match="1 条样本未复核"):
        spotchecks.complete(check, by=shop.supervisor, conclusion="总体合规")

    item = spotchecks.open_incident(first, by=shop.supervisor)
    assert item.incident.severity == "high" and item.incident.findings.get() == item
    assert first.delivery.trace_id in item.incident.description

    spotchecks.conclude(third, by=shop.supervisor, conclusion="observation", note="调用偏多")
    check = spotchecks.complete(check, by=shop.supervisor, conclusion="1 条不合规,已立案")
    assert check.status == "completed"
    assert spotchecks.tally(check) == {"pending": 0, "compliant": 1, "observation": 1,
                                       "noncompliant": 1}  # fmt: skip
    assert LedgerEntry.objects.filter(type="spotcheck.complete", object_id=str(check.pk)).exists()
    with pytest.raises(RuleViolation, match="不可再改"):
        spotchecks.conclude(second, by=shop.supervisor, conclusion="noncompliant", note="改")


def test_bad_draws_are_refused_and_leave_nothing(traffic):
    shop, *_ = traffic
    today = timezone.localdate()
    for fields, message in (
        ({"date_from": today, "date_to": today - timedelta(days=1)}, "晚于"),
        ({"size": 0}, "样本量"),
        ({"seed": "'; DROP"}, "随机种子"),
        ({"date_from": today + timedelta(days=2), "date_to": today + timedelta(days=3)}, "未开始"),
        ({"date_from": today - timedelta(days=40), "date_to": today - timedelta(days=30)}, "没有"),
    ):
        with pytest.raises(RuleViolation, match=message):
            _draw(shop, **fields)
    assert not SpotCheck.objects.exists() and not SpotCheckItem.objects.exists()


def test_later_deliveries_do_not_change_a_drawn_sample(traffic):
    shop, aggregate, _ = traffic
    check = _draw(shop, size=4)
    credential = products.create_credential(by=shop.consumer, name="later")[0]
    gateway.call(credential, aggregate.code, {"since": "2024-01-01"}, source_ip=None)
    assert spotchecks.redraw(check)


def test_the_pages_draw_review_and_file_a_check(traffic, client):
    shop, aggregate, _ = traffic
    client.force_login(shop.supervisor, backend=AUTH_BACKEND)
    today = timezone.localdate()
    form = {"title": "页面抽查", "date_from": str(today), "date_to": str(today), "size": "2",
            "product": aggregate.code, "answered_only": "on", "seed": "feedbeef"}  # fmt: skip
    response = client.post(reverse("supervision:spotcheck_draw"), form, follow=True)
    page = response.content.decode()
    check = SpotCheck.objects.get()
    assert check.product == aggregate and check.seed == "feedbeef"
    assert "复验一致" in page and "feedbeef" in page and "内容可复现" in page
    detail = reverse("supervision:spotcheck_detail", args=[check.pk])
    assert "复验抽样" in client.get(detail).content.decode()  # redrawn on request only
    workbench = client.get(reverse("core:workbench")).content.decode()
    assert "待复核的抽查样本" in workbench
    for item in check.items.all():
        client.post(reverse("supervision:spotcheck_conclude", args=[item.pk]),
                    {"conclusion": "compliant", "note": ""})  # fmt: skip
    client.post(reverse("supervision:spotcheck_complete", args=[check.pk]), {"conclusion": "合规"})
    check.refresh_from_db()
    assert check.status == "completed"

    bad = client.post(reverse("supervision:spotcheck_draw"), form | {"size": "9999"}, follow=True)
    assert "样本量" in bad.content.decode() and SpotCheck.objects.count() == 1


def test_the_draw_is_the_documented_rank_order():
    """The sample is the lowest SHA-256("<seed>:<id>") per stratum: anyone can recompute it."""
    import hashlib

    population = [(pk, 1, 1) for pk in range(1, 501)]
    ids, _ = spotchecks.draw("audit", population, 7)
    by_hand = sorted(
        range(1, 501), key=lambda pk: hashlib.sha256(f"audit:{pk}".encode()).hexdigest()
    )
    assert ids == sorted(by_hand[:7])
