import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from pdao.audit import actions
from pdao.audit.models import AppendOnlyError, AuditEvent
from pdao.audit.services import record
from pdao.core import context
from pdao.core.permissions import Role
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db

TEST_ACTION = actions.define("test.action", "测试操作")
OTHER_ACTION = actions.define("other.action", "其他操作")


def _event(**kwargs):
    defaults = {"by": None, "summary": "测试事件", "target_ref": ("test.thing", "1")}
    return record("test.action", **(defaults | kwargs))


def test_events_cannot_be_changed():
    event = _event()
    event.summary = "改写"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).summary == "测试事件"


def test_events_cannot_be_deleted_one_by_one_or_in_bulk():
    event = _event()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="x")
    assert AuditEvent.objects.count() == 1


def test_event_carries_request_id_and_address_of_the_request(bureau_admin, client_for):
    organisation = OrganisationFactory()
    response = client_for(bureau_admin).post(
        reverse("accounts:organisation_verify", args=[organisation.pk]),
        REMOTE_ADDR="192.0.2.44",
    )
    event = AuditEvent.objects.get(action="organisation.verify")
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "192.0.2.44"


def test_forwarded_for_is_believed_only_from_trusted_proxies(bureau_admin, client_for, settings):
    organisation = OrganisationFactory()
    client = client_for(bureau_admin)
    url = reverse("accounts:organisation_verify", args=[organisation.pk])
    client.post(url, REMOTE_ADDR="192.0.2.44", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert AuditEvent.objects.get(action="organisation.verify").ip == "192.0.2.44"

    settings.TRUSTED_PROXIES = ["192.0.2.1"]
    second = OrganisationFactory()
    client.post(
        reverse("accounts:organisation_verify", args=[second.pk]),
        REMOTE_ADDR="192.0.2.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5",
    )
    event = AuditEvent.objects.get(action="organisation.verify", object_id=str(second.pk))
    assert event.ip == "203.0.113.5"


def test_events_outside_requests_share_one_id_per_unit_of_work():
    token = context.activate(context.RequestContext(request_id="script-run-0001"))
    try:
        first, second = _event(), _event()
    finally:
        context.deactivate(token)
    assert first.request_id == second.request_id == "script-run-0001"
    assert first.ip is None


def test_list_filters_by_action_and_actor(supervisor, client_for):
    operator = user_with_role(Role.OPERATOR)
    _event(by=operator, summary="运营单位的事件")
    record("other.action", by=supervisor, summary="监管的事件")
    client = client_for(supervisor)
    page = client.get(reverse("audit:event_list") + "?action=test.action").context["page"]
    assert [e.summary for e in page] == ["运营单位的事件"]
    page = client.get(reverse("audit:event_list") + f"?actor={supervisor.username}").context["page"]
    summaries = [e.summary for e in page]
    assert "监管的事件" in summaries and "运营单位的事件" not in summaries
    assert {e.actor_username for e in page} == {supervisor.username}


def test_list_applies_valid_filters_and_reports_invalid_ones(supervisor, client_for):
    _event(summary="保留")
    record("other.action", by=None, summary="筛掉")
    response = client_for(supervisor).get(
        reverse("audit:event_list") + "?action=test.action&ip=not-an-address"
    )
    assert [e.summary for e in response.context["page"]] == ["保留"]
    assert response.context["form"].errors["ip"]


def test_list_rejects_inverted_date_range_with_a_message(supervisor, client_for):
    response = client_for(supervisor).get(
        reverse("audit:event_list") + "?date_from=2026-05-02&date_to=2026-05-01"
    )
    assert response.status_code == 200
    assert "起始日期不能晚于截止日期" in response.content.decode()


def test_htmx_request_gets_only_the_rows(supervisor, client_for):
    _event()
    response = client_for(supervisor).get(reverse("audit:event_list"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table>" in body and "<html" not in body


def test_csv_export_is_complete_formula_safe_and_audited(supervisor, client_for):
    _event(summary='=HYPERLINK("http://evil.example")')
    _event(summary="普通事件")
    response = client_for(supervisor).get(reverse("audit:event_export") + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97-" in response["Content-Disposition"]
    )
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    summaries = [row[8] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example")' in summaries
    assert "普通事件" in summaries
    assert AuditEvent.objects.filter(action="audit.export", actor_id=supervisor.pk).exists()


def test_xlsx_export_respects_filters(supervisor, client_for):
    _event(summary="要导出的")
    record("other.action", by=None, summary="不导出的")
    response = client_for(supervisor).get(
        reverse("audit:event_export") + "?format=xlsx&action=test.action"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "时间"
    assert [row[8] for row in values[1:]] == ["要导出的"]


def test_export_with_unknown_format_is_a_clear_400(supervisor, client_for):
    response = client_for(supervisor).get(reverse("audit:event_export") + "?format=pdf")
    assert response.status_code == 400
    assert "不支持的导出格式" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_api_lists_events_with_pagination(supervisor, client_for):
    for i in range(3):
        _event(summary=f"事件{i}")
    body = client_for(supervisor).get("/api/v1/audit/events?limit=2&action=test.action").json()
    assert body["count"] == 3
    assert len(body["items"]) == 2


def test_api_refuses_anonymous_with_401_and_unprivileged_with_403(client_for):
    assert Client().get("/api/v1/audit/events").status_code == 401
    operator = user_with_role(Role.OPERATOR)
    response = client_for(operator).get("/api/v1/audit/events")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
