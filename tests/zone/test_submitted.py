"""Queries asked from the workspace page run in the task worker: the post returns at once with
a queued record, the result card polls until the outcome is written, and every protection of
`run_query` applies in the worker as the user who asked."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.authorization import services as authz
from pdao.zone import engine, services
from pdao.zone.models import ZoneQuery
from tests.authorization.conftest import verified_operator
from tests.conftest import run_worker

SQL = "SELECT 区县, COUNT(DISTINCT 身份证号) AS 人数 FROM 社保缴纳记录 GROUP BY 区县"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _status(live, query):
    return reverse("zone:query_status", args=[live.code, query.pk])


def _engine_must_not_run(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the engine ran in the request")

    monkeypatch.setattr(engine, "execute", refuse)


def test_posting_a_query_returns_at_once_with_a_queued_record_and_no_result(
    city, live, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    _engine_must_not_run(monkeypatch)
    url = reverse("zone:workspace", args=[live.code])
    client = client_for(city.operator)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, {"sql": SQL, "form": "aggregate"})
    query = ZoneQuery.objects.get()
    assert response.status_code == 302 and response.url == f"{url}?query={query.pk}"
    assert (query.decision, query.result, query.user) == ("queued", {}, city.operator)
    assert len(callbacks) == 1  # the task is enqueued once the record is committed
    assert AuditEvent.objects.filter(action="zone.query.submit", object_id=str(query.pk)).exists()
    page = client.get(response.url).content.decode()
    assert 'data-testid="running"' in page and _status(live, query) in page
    assert 'hx-trigger="every 1s"' in page and 'id="zone-run" data-testid="run" disabled' in page


def test_coming_back_to_the_workspace_follows_the_running_query(city, live, client_for):
    query = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    page = client_for(city.operator).get(reverse("zone:workspace", args=[live.code]))
    body = page.content.decode()
    assert page.context["query"] == query and 'data-testid="running"' in body
    assert f'href="?query={query.pk}"' in body  # the recent queries link back to it


def test_a_second_submit_while_one_waits_is_refused_politely(city, live, client_for):
    url = reverse("zone:workspace", args=[live.code])
    client = client_for(city.operator)
    client.post(url, {"sql": SQL, "form": "aggregate"})
    page = client.post(url, {"sql": SQL, "form": "dp"}, follow=True).content.decode()
    assert "上一条查询仍在执行" in page and ZoneQuery.objects.count() == 1
    assert 'data-testid="running"' in page  # and it is shown what it waits for


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_it_and_the_polled_card_shows_the_released_result(city, live, client_for):
    client = client_for(city.operator)
    client.post(reverse("zone:workspace", args=[live.code]), {"sql": SQL, "form": "aggregate"})
    query = ZoneQuery.objects.get()
    polled = client.get(_status(live, query), **HTMX).content.decode()
    assert 'data-decision="queued"' in polled and "hx-get" in polled

    run_worker()

    query.refresh_from_db()
    assert query.decision == "released" and query.rows_released == 5
    assert query.started_at and query.finished_at and query.user == city.operator
    polled = client.get(_status(live, query), **HTMX).content.decode()
    assert 'data-testid="released"' in polled and "柳江区" in polled and "hx-get" not in polled
    assert 'hx-swap-oob="true"' in polled and " disabled" not in polled  # the button is back
    assert 'id="zone-recent" hx-swap-oob="true"' in polled  # and the list says released
    for action in ("zone.query.submit", "zone.query.start", "zone.query"):
        event = AuditEvent.objects.get(action=action, object_id=str(query.pk))
        assert event.actor_id == city.operator.pk


@pytest.mark.django_db(transaction=True)
def test_the_worker_applies_the_protections_as_they_stand_when_it_runs(city, live, client_for):
    query = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    authz.suspend(live, by=city.bureau, reason="应急处置")
    run_worker()
    query.refresh_from_db()
    assert (query.decision, query.rule, query.result) == (
        "refused",
        "authorization.suspended",
        {},
    )


def test_the_daily_limit_counts_queries_when_they_start(city, live):
    live.daily_queries = 1
    live.save(update_fields=["daily_queries"])
    first = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    assert services.run_submitted(first.pk).decision == "released"
    second = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    second = services.run_submitted(second.pk)
    assert (second.decision, second.rule) == ("refused", "limits.daily")


def test_the_dp_budget_is_debited_when_the_worker_starts_it(city, live):
    from pdao.zone import policy

    live.epsilon_total = 2.0
    live.save(update_fields=["epsilon_total"])
    query = services.submit_query(live, by=city.operator, sql=SQL, form="dp")
    assert policy.epsilon_left(live) == 2.0  # nothing debited while it waits
    query = services.run_submitted(query.pk)
    assert query.decision == "released" and query.epsilon_spent == services.DEFAULT_EPSILON
    assert policy.epsilon_left(live) == pytest.approx(2.0 - services.DEFAULT_EPSILON)


def test_a_person_no_longer_allowed_gets_a_refusal_not_a_result(city, live):
    query = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    rival = verified_operator(city.bureau)
    type(city.operator).objects.filter(pk=city.operator.pk).update(organisation=rival.organisation)
    query = services.run_submitted(query.pk)
    assert (query.decision, query.rule, query.result) == ("refused", "authorization.operator", {})


def test_a_failing_execution_ends_interrupted_with_a_message_and_no_value(
    city, live, monkeypatch, caplog
):
    value = "450202" + "000015845919"  # as a DuckDB message could quote it

    def crash(planned, built):
        raise RuntimeError(f"Conversion Error: '{value}'")

    monkeypatch.setattr(engine, "execute", crash)
    query = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    query = services.run_submitted(query.pk)
    assert (query.decision, query.rule) == ("interrupted", "limits.failed")
    assert query.message == services.FAILED_MESSAGE and query.finished_at
    assert "450202" not in caplog.text and "RuntimeError" in caplog.text
    event = AuditEvent.objects.get(action="zone.query.interrupted", object_id=str(query.pk))
    assert event.changes["rule"] == "limits.failed"
    assert services.run_submitted(query.pk).decision == "interrupted"  # a rerun does nothing


def test_a_query_no_worker_took_is_closed_unrun_and_a_late_start_is_not_cut_short(
    city, live, client_for
):
    waiting = services.submit_query(live, by=city.operator, sql=SQL, form="dp")
    later = timezone.now() + timedelta(seconds=services.QUEUE_SECONDS + 1)
    assert services.mark_interrupted(now=later) == 1
    waiting.refresh_from_db()
    assert (waiting.decision, waiting.rule, waiting.epsilon_spent) == (
        "interrupted",
        "limits.queue",
        0,
    )
    assert services.run_submitted(waiting.pk).decision == "interrupted"  # the worker, too late
    # A query that waited long but started just now is measured from its start.
    late = ZoneQuery.objects.create(
        authorization=live, user=city.operator, sql="SELECT 1", form="aggregate",
        decision="running", started_at=later,
    )  # fmt: skip
    ZoneQuery.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert services.mark_interrupted(now=later + timedelta(seconds=5)) == 0


def test_the_polled_card_closes_a_query_whose_worker_is_gone(city, live, client_for):
    query = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    ZoneQuery.objects.filter(pk=query.pk).update(
        created_at=timezone.now() - timedelta(seconds=services.QUEUE_SECONDS + 1)
    )
    polled = client_for(city.operator).get(_status(live, query), **HTMX).content.decode()
    assert 'data-decision="interrupted"' in polled and "查询排队超时" in polled
    assert "hx-get" not in polled


def test_only_the_authorized_operator_follows_its_queries(city, live, client_for):
    query = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    rival = verified_operator(city.bureau)
    assert client_for(rival).get(_status(live, query)).status_code == 404
    assert client_for(city.bureau).get(_status(live, query)).status_code in (403, 404)
    assert client_for(city.operator).get(_status(live, query)).status_code == 200
    missing = reverse("zone:query_status", args=[live.code, query.pk + 1])
    assert client_for(city.operator).get(missing).status_code == 404


def test_the_author_cancels_a_waiting_query_which_then_counts_against_nothing(
    city, live, client_for
):
    live.daily_queries = 1
    live.save(update_fields=["daily_queries"])
    query = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    cancel = reverse("zone:query_cancel", args=[live.code, query.pk])
    page = client_for(city.operator).get(reverse("zone:workspace", args=[live.code]))
    assert cancel in page.content.decode()
    colleague = type(city.operator).objects.create(
        username="colleague", organisation=city.operator.organisation
    )
    with pytest.raises(services.RuleViolation):  # only its author takes it back
        services.cancel_query(query, by=colleague)
    response = client_for(city.operator).post(cancel)
    assert response.status_code == 302 and response.url.endswith(f"?query={query.pk}")
    query.refresh_from_db()
    assert (query.decision, query.rule, query.epsilon_spent) == (
        "interrupted",
        "limits.cancelled",
        0,
    )
    event = AuditEvent.objects.get(action="zone.query.interrupted", object_id=str(query.pk))
    assert event.actor_id == city.operator.pk
    assert services.run_submitted(query.pk).decision == "interrupted"  # the worker, too late
    # Neither the cancelled query nor one no worker took uses the day's one query.
    again = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    assert services.run_submitted(again.pk).decision == "released"
    with pytest.raises(services.RuleViolation):  # a started or ended one cannot be cancelled
        services.cancel_query(again, by=city.operator)


def test_a_closed_query_says_why_in_the_readers_language(city, live, client_for):
    query = services.submit_query(live, by=city.operator, sql=SQL, form="aggregate")
    services.cancel_query(query, by=city.operator)
    client = client_for(city.operator)
    client.cookies["django_language"] = "en"
    status = reverse("zone:query_status", args=[live.code, query.pk])
    card = client.get(status, **HTMX).content.decode()
    assert "cancelled by the person who submitted it" in card
    assert "已由提交人取消" not in card
