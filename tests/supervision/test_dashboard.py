"""监管驾驶舱: every figure is counted from the records, and its link opens exactly the records
it counts."""

import pytest
from django.urls import reverse
from django.utils import timezone

from pdao.supervision import dashboard, incidents
from pdao.supervision.models import Alert
from pdao.supervision.services import ensure_rules
from pdao.zone import services as zone
from tests.conftest import AUTH_BACKEND

pytestmark = pytest.mark.django_db
SQL = "SELECT 区县, COUNT(*) AS n FROM 社保缴纳记录 GROUP BY 区县"


@pytest.fixture
def watched(traffic):
    shop, *_ = traffic
    zone.run_query(shop.authorization, by=shop.operator, sql=SQL, form="aggregate")
    zone.run_query(shop.authorization, by=shop.operator, sql="SELECT * FROM x", form="aggregate")
    rules = ensure_rules()
    for n, severity in enumerate(("high", "high", "critical", "low")):
        Alert.objects.create(rule=rules[n], severity=severity, fingerprint=f"t:{n}",
                             subject=f"t:{n}", title="告警", last_seen=timezone.now())  # fmt: skip
    Alert.objects.filter(fingerprint="t:3").update(status="resolved")
    incidents.open_incident(by=shop.supervisor, title="事件", description="d", severity="high")
    return shop


def _listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def test_each_figure_opens_the_records_it_counts(watched, client):
    client.force_login(watched.supervisor, backend=AUTH_BACKEND)
    data = dashboard.figures()
    figures = {f["id"]: f for f in data["figures"]}

    severities = {p["label"]: p["value"] for p in figures["alerts"]["series"][0]["points"]}
    assert severities == {"严重": 1, "高": 2, "中": 0, "低": 0}
    activity = {
        s["name"]: sum(p["value"] for p in s["points"]) for s in figures["activity"]["series"]
    }
    assert activity["成功交付"] == 10 and activity["被拒绝的调用"] == 2
    assert activity["被拒绝的专区查询"] >= 1 and activity["新告警"] == 4
    consumers = figures["top-consumer"]["series"][0]["points"]
    assert sorted(p["value"] for p in consumers) == [6, 6]
    budget = figures["budget"]["series"]
    assert all(p["value"] >= 0 for s in budget for p in s["points"])

    checked = 0
    for figure in data["figures"]:
        if figure["id"] == "budget":
            continue
        for series in figure["series"]:
            for point in series["points"]:
                if point["value"] or checked % 7 == 0:  # every non-zero figure, some zeros
                    assert _listed(client, point["url"]) == point["value"], (figure["id"], point)
                checked += 1
    for card in data["cards"]:
        if "page" in (client.get(card["url"]).context or {}):
            assert _listed(client, card["url"]) == card["value"], card


def test_the_page_draws_the_charts_and_lists_the_links(watched, client):
    client.force_login(watched.supervisor, backend=AUTH_BACKEND)
    page = client.get(reverse("supervision:dashboard")).content.decode()
    for figure in ("alerts", "activity", "top-consumer", "top-product", "budget", "incidents"):
        assert f'id="figure-{figure}-data"' in page and f'id="chart-{figure}"' in page
    assert "echarts.min.js" in page and "dashboard.js" in page
    assert reverse("supervision:alert_list") + "?status=open&amp;severity=critical" in page
