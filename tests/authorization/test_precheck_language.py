"""Pre-check findings are stored as message codes and read in the reader's language on the
application page; findings stored as text before codes are converted by the migration, and one
that cannot be converted keeps its text."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import translation

from pdao.authorization import services
from pdao.authorization.models import Application
from tests.conftest import AUTH_BACKEND

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


@pytest.fixture
def refused(city):
    core = city.resource("Population base", grade="core")
    application = city.draft((core, ["aggregate"]))
    with translation.override("zh-hans"):  # submitted by a Chinese reader
        services.submit(application, by=city.operator)
    return city, application


def _precheck(client, user, application, language) -> str:
    client.force_login(user, backend=AUTH_BACKEND)
    client.cookies["django_language"] = language
    response = client.get(reverse("authorization:application_detail", args=[application.pk]))
    assert response.status_code == 200
    return re.search(r'data-testid="precheck">(.*?)</table>', response.content.decode(), re.S)[1]


def test_findings_read_in_english_on_the_application_page(refused, client):
    city, application = refused
    table = _precheck(client, city.operator, application, "en")
    assert "“Population base” is core data and cannot be authorized" in table
    body = re.sub(r"<[^>]+>", " ", table.split("<tbody>")[1])
    assert CJK.findall(body) == []


def test_findings_read_in_chinese_as_before(refused, client):
    city, application = refused
    table = _precheck(client, city.operator, application, "zh-hans")
    assert "「Population base」为核心数据，不予授权" in table
    assert "GB/T 43697-2024《数据安全技术 数据分类分级规则》：核心数据不予授权运营" in table


def test_the_migration_converts_findings_written_as_text(refused):
    _city, application = refused
    governance = "The domain “Urban governance” already has its maximum of 3 live authorizations"
    old = [
        {"rule": "grade.no_core", "severity": "error", "message": "「人口」为核心数据,不予授权",
         "basis": "…"},
        {"rule": "cap.quota", "severity": "error", "basis": "…",
         "message": governance},
        {"rule": "qualification.sufficient", "severity": "error", "basis": "…",
         "message": "申请数据最高为重要数据，要求等保 3 级、ISO/IEC 27001 认证"},
        {"rule": "scope.nonempty", "severity": "error", "message": "某条无法识别的旧发现",
         "basis": "…"},
        {"rule": "version.active", "severity": "pass", "message": "通过", "basis": "…"},
    ]  # fmt: skip
    Application.objects.filter(pk=application.pk).update(precheck=old)
    migration = importlib.import_module("pdao.authorization.migrations.0006_precheck_codes")
    migration.forward(django_apps, None)

    application.refresh_from_db()
    core, cap, qualification, unknown, passed = application.precheck
    assert core == {"rule": "grade.no_core", "severity": "error", "code": "precheck.core",
                    "params": {"r": "人口"}}  # fmt: skip
    assert cap["params"] == {"d": {"choice": "domain", "value": "governance"}, "n": 3}
    assert qualification["params"]["g"] == {"choice": "grade", "value": "important"}
    assert [m["code"] for m in qualification["params"]["m"]] == [
        "qualification.need_dengbao", "qualification.need_iso27001"]  # fmt: skip
    assert unknown == old[3]  # kept, its text the fallback
    assert passed["code"] == "precheck.pass"
    with translation.override("en"):
        messages = [f.message for f in application.precheck_findings]
    assert messages[1] == governance
    assert messages[2] == (
        "The highest grade requested is Important data, which requires MLPS level 3, "
        "ISO/IEC 27001 certified"
    )
    assert messages[3] == "某条无法识别的旧发现" and messages[4] == "Pass"
