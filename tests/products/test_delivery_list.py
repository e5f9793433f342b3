"""交付记录 as a working list: drill-down filters show as removable chips, a date range narrows
it, results and products read by name, and the filtered rows download as Excel (audited)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from pdao.audit.models import AuditEvent
from pdao.products import gateway, services
from pdao.products.models import Delivery

URL = reverse("products:deliveries")


@pytest.fixture
def calls(market):
    product = market.to_market(market.product())
    market.subscribe(product)
    credential, _secret = services.create_credential(by=market.consumer, name="生产")
    for _ in range(2):
        assert gateway.call(credential, product.code, {"since": "2024-02-01"}, source_ip=None)
    stranger = market.new_consumer()
    other, _secret = services.create_credential(by=stranger, name="x")
    refused = gateway.call(other, product.code, {"since": "2024-02-01"}, source_ip=None)
    assert refused.body["code"] == "no_subscription"
    return market, product, stranger


def test_a_drill_down_filter_is_a_chip_that_removes_itself(client, calls):
    market, product, stranger = calls
    client.force_login(market.supervisor)
    page = client.get(URL, {"consumer": stranger.organisation_id, "outcome": "refused"})
    html = page.content.decode()
    assert len(page.context["page"].object_list) == 1
    chips = {c.label: c for c in page.context["chips"]}
    assert chips["使用方"].value == stranger.organisation.name
    assert chips["结果"].value == "被拒绝"
    assert chips["结果"].remove == f"consumer={stranger.organisation_id}"
    assert 'data-testid="chips"' in html
    # the refusal reads by name, the product by its name; the API's code is not the text
    assert "未订阅或订阅已到期" in html and product.name in html
    assert ">no_subscription<" not in html
    widened = client.get(URL + "?" + chips["结果"].remove)
    assert len(widened.context["page"].object_list) == 1  # the stranger made one call


def test_a_date_range_narrows_the_list(client, calls):
    market, _product, _stranger = calls
    old = Delivery.objects.order_by("pk").first()
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    client.force_login(market.supervisor)
    today = timezone.localdate().isoformat()
    page = client.get(URL, {"created_after": today, "created_before": today})
    assert {d.pk for d in page.context["page"]} == set(
        Delivery.objects.exclude(pk=old.pk).values_list("pk", flat=True)
    )
    assert page.context["chips"][0].label == "时间范围"
    assert page.context["chips"][0].value == f"{today} 至 {today}"


def test_a_malformed_filter_is_shown_and_ignored_and_nothing_is_exported(client, calls):
    market, _product, _stranger = calls
    client.force_login(market.supervisor)
    query = {"created_after": "2026-02-31", "outcome": "refused"}
    page = client.get(URL, query)
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 1  # the valid filter still applies
    assert page.context["filter"].form.errors
    refused = client.get(URL, {**query, "export": "xlsx"})
    assert refused.status_code == 400 and "时间范围" in refused.content.decode()
    assert not AuditEvent.objects.filter(action="list.export").exists()


def test_the_filtered_list_downloads_as_excel_and_is_audited(client, calls):
    market, product, _stranger = calls
    client.force_login(market.operator)
    response = client.get(URL, {"outcome": "answered", "export": "xlsx"})
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:5] == ("时间", "追踪号", "使用方", "产品编号", "产品名称")
    assert len(body) == 2 and {r[3] for r in body} == {product.code}
    assert all(isinstance(r[header.index("行数")], int) for r in body)  # numbers, not text
    assert body[0][header.index("结果")] == "已应答"
    event = AuditEvent.objects.get(action="list.export")
    assert event.changes["filters"] == {"结果": "已应答"}
    assert event.changes["rows"] == 2 and event.changes["truncated"] is False
    assert event.actor_id == market.operator.pk


def test_an_operator_exports_only_its_own_deliveries(client, calls):
    market, _product, stranger = calls
    client.force_login(stranger)  # a consumer: only its own single refused call
    response = client.get(URL, {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2
    # its own organisation is the only consumer it may filter by: nothing to choose, no filter
    assert "consumer" not in client.get(URL).context["filter"].form.fields
    client.force_login(market.operator)  # the consumers subscribed to its products
    offered = client.get(URL).context["filter"].form.fields
    assert "consumer" not in offered  # one subscriber only
    client.force_login(market.supervisor)  # every consumer organisation
    offered = client.get(URL).context["filter"].form.fields["consumer"].queryset
    assert {stranger.organisation, market.consumer.organisation} <= set(offered)
