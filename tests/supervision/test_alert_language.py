"""An alert's title and evidence are written as message codes and read in the reader's language
on the alert pages; alerts written as Chinese text before codes are converted by the migration,
and an alert that cannot be converted keeps its text."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from pdao.supervision.models import Alert
from tests.conftest import AUTH_BACKEND
from tests.supervision.test_rules import (
    queries,
    raised,
    traffic,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


@pytest.fixture
def probed(traffic):  # noqa: F811
    shop = traffic[0]
    queries(shop.authorization, 10)
    (alert,) = raised("probing")
    return shop, alert


def _page(client, user, url, language):
    client.force_login(user, backend=AUTH_BACKEND)
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_alert_reads_in_english_on_the_alert_pages(probed, client):
    shop, alert = probed
    detail = _page(client, shop.supervisor, reverse("supervision:alert_detail", args=[alert.pk]),
                   "en")  # fmt: skip
    title = re.search(r'data-testid="alert-title">(.*?)</dd>', detail).group(1)
    code = shop.authorization.code
    assert title == f"Authorization {code} had 10 zone queries refused in 30 minutes"
    assert not CJK.search(title)
    assert "Zone query #" in detail and "专区查询 #" not in detail
    listing = _page(client, shop.supervisor, reverse("supervision:alert_list"), "en")
    assert title in listing


def test_an_alert_reads_in_chinese_as_before(probed, client):
    shop, alert = probed
    detail = _page(client, shop.supervisor, reverse("supervision:alert_detail", args=[alert.pk]),
                   "zh-hans")  # fmt: skip
    expected = f"授权 {shop.authorization.code} 在 30 分钟内有 10 次专区查询被拒绝"
    assert f'data-testid="alert-title">{expected}</dd>' in detail
    assert "专区查询 #" in detail
    assert expected in _page(client, shop.supervisor, reverse("supervision:alert_list"), "zh-hans")


def test_the_migration_converts_an_alert_written_as_text(probed):
    shop, alert = probed
    code = shop.authorization.code
    Alert.objects.filter(pk=alert.pk).update(
        message={},
        title_text=f"授权 {code} 在 30 分钟内有 10 次专区查询被拒绝",
        evidence=[{"label": "专区查询 #7", "url": "/zone/queries/7/"},
                  {"label": "PR-0001", "url": "/products/PR-0001/"}],
    )  # fmt: skip
    untouched = Alert.objects.create(rule=alert.rule, severity="high", fingerprint="old:1",
                                     subject="old:1", title="某条无法识别的旧告警",
                                     last_seen=alert.last_seen)  # fmt: skip
    migration = importlib.import_module("pdao.supervision.migrations.0007_alert_codes")
    migration.forward(django_apps, None)

    alert.refresh_from_db()
    assert alert.message == {"code": "alert.probing",
                             "params": {"a": code, "minutes": 30, "n": 10}}  # fmt: skip
    assert alert.evidence == [
        {"code": "evidence.query", "params": {"pk": 7}, "url": "/zone/queries/7/"},
        {"label": "PR-0001", "url": "/products/PR-0001/"},  # data, not a sentence: kept
    ]
    from django.utils import translation

    with translation.override("en"):
        assert alert.title.startswith("Authorization ") and not CJK.search(alert.title)
        assert [e["label"] for e in alert.evidence_links] == ["Zone query #7", "PR-0001"]
    untouched.refresh_from_db()
    assert untouched.message == {} and untouched.title == "某条无法识别的旧告警"
