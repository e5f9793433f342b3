"""Supervision's working lists: the alert list opens on open alerts without a chip for it,
every other filter is a removable chip, and each list downloads as Excel."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import AUTH_BACKEND
from tests.supervision.test_dashboard import watched  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_alerts_open_on_open_ones_and_say_so_only_when_changed(watched, client):  # noqa: F811
    client.force_login(watched.supervisor, backend=AUTH_BACKEND)
    url = reverse("supervision:alert_list")
    opened = client.get(url)
    assert opened.context["page"].paginator.count == 3  # one of four is resolved
    assert opened.context["chips"] == []
    everything = client.get(url, {"status": "all", "severity": "high"})
    assert everything.context["page"].paginator.count == 2
    chips = {c.label: c for c in everything.context["chips"]}
    assert chips["状态"].value == "全部" and chips["级别"].value == "高"
    assert client.get(url + "?" + chips["级别"].remove).context["page"].paginator.count == 4


def test_incidents_by_month_show_the_month_as_a_chip(watched, client):  # noqa: F811
    client.force_login(watched.supervisor, backend=AUTH_BACKEND)
    url = reverse("supervision:incident_list")
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(url, {"month": month})
    assert page.context["page"].paginator.count == 1
    assert [(c.label, c.value) for c in page.context["chips"]] == [("开立月份", month)]
    assert client.get(url, {"month": "2001-01"}).context["page"].paginator.count == 0


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("supervision:alert_list", "告警内容"),
        ("supervision:incident_list", "事件编号"),
        ("supervision:action_list", "处置措施"),
        ("supervision:spotcheck_list", "抽查编号"),
    ],
)
def test_each_list_downloads_what_it_shows(watched, client, name, heading):  # noqa: F811
    client.force_login(watched.supervisor, backend=AUTH_BACKEND)
    shown = client.get(reverse(name), {"status": "all"} if "alert" in name else {})
    response = client.get(
        reverse(name), {"export": "xlsx", **({"status": "all"} if "alert" in name else {})}
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert heading in rows[0]
    assert len(rows) - 1 == shown.context["page"].paginator.count
