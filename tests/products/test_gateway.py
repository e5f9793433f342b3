"""The gateway pipeline, call by call: subscription and access decision first, then the rate
limit, parameters, quotas, execution, watermark and metering — with exact records."""

import pytest
from django.test import override_settings

from pdao import watermark
from pdao.authorization import services as authorizations
from pdao.ledger.models import LedgerEntry
from pdao.products import delivery, gateway, leaks, services
from pdao.products.models import Delivery, DeliveryBatch, Release
from pdao.zone.models import ZoneQuery

pytestmark = pytest.mark.django_db
SINCE = {"since": "2024-02-01"}


@pytest.fixture
def listed(market):
    product = market.to_market(market.product())
    subscription = market.subscribe(product)
    credential, _secret = services.create_credential(by=market.consumer, name="生产")
    return market, product, subscription, credential


def call(credential, product, values=SINCE):
    return gateway.call(credential, product.code, values, source_ip="10.0.0.8")


def test_answer_carries_rows_filing_and_trace_id(listed):
    _market, product, subscription, credential = listed

    answer = call(credential, product)

    assert answer.status == 200
    assert answer.body["columns"] == ["区县", "人次", "平均缴费"]
    assert answer.body["row_count"] == 5 and answer.body["filing_no"] == product.filing_no
    assert answer.headers["X-Trace-Id"] == answer.body["trace_id"]
    record = Delivery.objects.get(trace_id=answer.body["trace_id"])
    assert (record.status, record.code, record.rows, record.product, record.subscription) == (
        200, "ok", 5, product, subscription
    )  # fmt: skip
    assert record.source_ip == "10.0.0.8" and len(record.digest) == 64


def test_repeated_parameters_reuse_the_released_answer(listed):
    _market, product, _subscription, credential = listed
    first = call(credential, product)
    second = call(credential, product)
    other = call(credential, product, {"since": "2024-03-01"})

    assert first.body["rows"] == second.body["rows"]
    assert other.status == 200
    assert Release.objects.filter(product=product).count() == 2
    assert ZoneQuery.objects.filter(authorization=product.authorization).count() == 2


def test_suspended_authorization_is_refused_at_the_very_next_call(listed):
    market, product, _subscription, credential = listed
    assert call(credential, product).status == 200

    authorizations.suspend(market.authorization, by=market.supervisor, reason="异常调用排查")
    refused = call(credential, product)

    assert refused.status == 403
    assert refused.body["code"] == "authorization_suspended"
    assert "授权已暂停" in refused.body["message"] and "/" in refused.body["message"]
    authorizations.resume(market.authorization, by=market.city.bureau, reason="排查完毕")
    assert call(credential, product).status == 200


def test_no_subscription_and_unlisted_products_are_refused(listed):
    market, product, subscription, credential = listed
    stranger = market.new_consumer()
    other_credential, _ = services.create_credential(by=stranger, name="x")
    assert call(other_credential, product).body["code"] == "no_subscription"
    assert gateway.call(credential, "LZ-DP-1999-0001", {}, source_ip=None).status == 404
    services.cancel_subscription(subscription, by=market.consumer)
    assert call(credential, product).body["code"] == "no_subscription"
    services.delist_product(product, by=market.operator, reason="下架")
    assert call(credential, product).body["code"] == "product_not_found"


@pytest.mark.parametrize(
    ("values", "name", "code"),
    [
        ({}, "since", "required"),
        ({"since": "2024-13-01"}, "since", "type"),
        ({"since": 20240101}, "since", "type"),
        ({"since": "2024-02-01", "extra": 1}, "extra", "unknown"),
    ],
)
def test_parameters_are_validated_before_anything_runs(listed, values, name, code):
    _market, product, _subscription, credential = listed
    answer = call(credential, product, values)
    assert answer.status == 400 and answer.body["code"] == "invalid_parameter"
    assert (answer.body["errors"][0]["name"], answer.body["errors"][0]["code"]) == (name, code)
    assert not ZoneQuery.objects.exists()


def test_hostile_string_parameters_stay_literals(market):
    product = market.to_market(
        market.product(
            sql="SELECT 区县, COUNT(*) AS n FROM 社保缴纳记录 WHERE 区县 = :d GROUP BY 区县",
            parameters=[{"name": "d", "type": "string", "label": "区县"}],
        )
    )
    market.subscribe(product)
    credential, _ = services.create_credential(by=market.consumer, name="x")
    answer = call(credential, product, {"d": "城中区' OR '1'='1"})
    assert answer.status == 200 and answer.body["rows"] == []
    [(district, count)] = call(credential, product, {"d": "城中区"}).body["rows"]
    assert district == "城中区" and abs(count - 360) <= 4  # 360 rows, perturbed by the cell key


def _clear_of_the_minute_boundary() -> None:
    """The window is the clock minute: start where four calls cannot straddle two windows."""
    import time

    left = 60 - time.time() % 60
    if left < 5:
        time.sleep(left + 0.1)


def _redis_reachable() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.3):
            return True
    except OSError:
        return False


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    """The rate limit on the embedded cache and on Redis (shared by all server processes)."""
    if request.param == "redis":
        if not _redis_reachable():
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/9",
                "KEY_PREFIX": f"pdao-test-{request.node.name}",
            }
        }
    from django.core.cache import cache

    cache.clear()
    yield request.param
    cache.clear()


def test_rate_limit_per_credential_boundary(market, shared_cache):
    product = market.to_market(market.product(), rate_per_minute=3)
    market.subscribe(product)
    credential, _ = services.create_credential(by=market.consumer, name="x")
    second, _ = services.create_credential(by=market.consumer, name="y")
    _clear_of_the_minute_boundary()

    answers = [call(credential, product) for _ in range(4)]

    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert answers[3].body["code"] == "rate_limited"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert call(second, product).status == 200  # another credential has its own window


def test_call_quota_boundary_and_refusals_do_not_count(market):
    product = market.to_market(market.product(), calls_per_month=3)
    subscription = market.subscribe(product)
    credential, _ = services.create_credential(by=market.consumer, name="x")

    call(credential, product, {"since": "bad"})  # invalid: not counted
    statuses = [call(credential, product).status for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert gateway.usage(subscription).calls == 3
    assert Delivery.objects.filter(subscription=subscription).count() == 5


def test_rows_quota_refuses_a_call_that_would_pass_it(market):
    product = market.to_market(market.product(), rows_per_month=12)
    subscription = market.subscribe(product)
    credential, _ = services.create_credential(by=market.consumer, name="x")

    statuses = [call(credential, product).status for _ in range(3)]

    assert statuses == [200, 200, 429]  # 5 + 5 rows fit in 12; a third 5 does not
    usage = gateway.usage(subscription)
    assert (usage.calls, usage.rows) == (2, 10)


def test_authorization_monthly_quota_spans_its_products(market):
    type(market.authorization).objects.filter(pk=market.authorization.pk).update(monthly_calls=2)
    product = market.to_market(market.product())
    market.subscribe(product)
    credential, _ = services.create_credential(by=market.consumer, name="x")
    assert [call(credential, product).status for _ in range(3)] == [200, 200, 429]


@override_settings(DELIVERY_BATCH_SIZE=10)
def test_metering_is_exact_and_digests_reach_the_ledger(django_capture_on_commit_callbacks, listed):
    _market, product, subscription, credential = listed
    traces = []
    for values in [SINCE] * 23 + [{}]:  # the last one is refused, and metered too
        with django_capture_on_commit_callbacks(execute=True):  # each call commits on its own
            traces.append(call(credential, product, values).body["trace_id"])

    records = Delivery.objects.filter(subscription=subscription)
    assert sorted(records.values_list("trace_id", flat=True)) == sorted(traces)
    assert records.filter(status=200).count() == 23
    ids = sorted(records.values_list("pk", flat=True))
    cuts = [pk for pk in ids if pk % 10 == 0]  # every 10th delivery anchors what is pending
    batches = list(DeliveryBatch.objects.order_by("pk"))
    assert [b.last_id for b in batches] == cuts and len(cuts) >= 2
    assert [b.count for b in batches[1:]] == [10] * (len(cuts) - 1)
    assert sum(b.count for b in batches) == len([pk for pk in ids if pk <= cuts[-1]])
    assert all(delivery.verify_batch(b) for b in batches)
    anchored = set(
        LedgerEntry.objects.filter(type="delivery.batch").values_list("content_hash", flat=True)
    )
    assert anchored == {b.digest for b in batches}

    waiting = len([pk for pk in ids if pk > cuts[-1]])
    last = delivery.anchor_pending()  # what the timer's task does
    assert last.count == waiting and not records.filter(batch__isnull=True).exists()

    tampered = records.first()
    Delivery.objects.filter(pk=tampered.pk).update(digest="0" * 64)
    assert not delivery.verify_batch(tampered.batch)


def test_record_outputs_are_watermarked_per_subscription_and_traceable(market, tmp_path):
    product = market.to_market(market.records_product())
    first = market.subscribe(product)
    other_consumer = market.new_consumer()
    market.subscribe(product, consumer=other_consumer)
    credential, _ = services.create_credential(by=market.consumer, name="x")
    other_credential, _ = services.create_credential(by=other_consumer, name="y")
    values = {"district": "城中区", "n": 300}

    mine = call(credential, product, values)
    theirs = call(other_credential, product, values)

    assert mine.status == 200 and mine.body["watermarked"] and mine.body["row_count"] == 300
    assert mine.body["rows"] != theirs.body["rows"]  # same answer, different marks
    amounts = [(a[2], b[2]) for a, b in zip(mine.body["rows"], theirs.body["rows"], strict=True)]
    assert all(abs(a - b) <= 0.02 + 1e-9 for a, b in amounts)
    record = Delivery.objects.get(trace_id=mine.body["trace_id"])
    assert record.watermark_id == watermark.mark_id(gateway.watermark_key(), first.code)

    leaked = "身份证号,缴费金额\n" + "\n".join(f"{r[0]},{r[2]}" for r in mine.body["rows"][50:250])
    findings = leaks.trace_leak(leaked.encode(), by=market.supervisor)

    top = findings[0].suspects[0]
    assert top.recipient == first.code and top.p_value < 1e-6
    assert findings[0].suspects[1].p_value > 0.01
    people = len({r[0] for r in mine.body["rows"][50:250]})  # a person's months share a key
    assert [(d.trace_id, n) for d, n in findings[0].deliveries] == [(record.trace_id, people)]


def test_model_output_answers_one_enterprise_per_request(modelled):
    from tests.products.conftest import MODEL_SQL

    product = modelled.to_market(
        modelled.product(
            kind="model",
            form="model",
            sql=MODEL_SQL,
            parameters=[{"name": "code", "type": "string", "label": "统一社会信用代码"}],
            name="企业经营活力评分",
        )
    )
    modelled.subscribe(product)
    credential, _ = services.create_credential(by=modelled.consumer, name="x")

    answer = call(credential, product, {"code": "E0042"})

    assert answer.status == 200, answer.body
    assert answer.body["columns"] == ["活力评分"]
    assert answer.body["rows"] == [[53.4]] and not answer.body["watermarked"]
    assert call(credential, product, {"code": "X9999"}).body["rows"] == []
    review = product.reviews.get()
    assert "模型输出" in review.checks["deidentification"]["note"]
    assert "ROUND(营业收入" in review.checks["deidentification"]["model_sql"]


def test_a_model_product_releasing_a_raw_column_fails_the_review(modelled):
    from pdao.core.rules import RuleViolation as Refusal

    product = modelled.product(
        kind="model", form="model",
        sql="SELECT 活力评分, 行业 FROM 企业活力评分 WHERE 信用代码 = :code",
        parameters=[{"name": "code", "type": "string", "label": "统一社会信用代码"}],
        name="原值冒充模型",
    )  # fmt: skip
    services.save_plan(product, by=modelled.operator, name="公益免费", charging="free")
    with pytest.raises(Refusal, match="合规审查清单未通过"):
        services.submit_for_review(product, by=modelled.operator)


@pytest.mark.django_db(transaction=True)
@override_settings(DELIVERY_BATCH_SIZE=1000, DELIVERY_BATCH_SECONDS=0)
def test_pending_deliveries_are_anchored_by_the_timer_task(market):
    """Fewer than N deliveries: the task queued S seconds after the first one anchors them."""
    from django_tasks_db.models import DBTaskResult

    from tests.conftest import run_worker

    product = market.to_market(market.product())
    market.subscribe(product)
    credential, _ = services.create_credential(by=market.consumer, name="x")
    traces = {call(credential, product).body["trace_id"] for _ in range(3)}

    assert DBTaskResult.objects.filter(task_path__endswith="anchor_deliveries").exists()
    run_worker()

    batch = DeliveryBatch.objects.get()
    assert set(batch.deliveries.values_list("trace_id", flat=True)) == traces
    assert delivery.verify_batch(batch)
    assert LedgerEntry.objects.filter(type="delivery.batch", content_hash=batch.digest).exists()
