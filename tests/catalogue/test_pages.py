from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from pdao.catalogue import services
from pdao.catalogue.models import IngestJob, Version
from pdao.core.permissions import Role
from tests.catalogue.test_ingest import people, write_csv
from tests.conftest import run_worker
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def _register(provider, name, fields, opening="none"):
    return services.register_resource(
        by=provider,
        provider=provider.organisation,
        fields=fields,
        name=name,
        domain="commerce",
        sharing="conditional",
        opening=opening,
        frequency="daily",
        grade="general_2",
    )


def test_chinese_search_finds_names_and_field_labels(provider, client_for):
    _register(provider, "企业登记信息", [{"name": "name", "type": "string", "label": "名称"}])
    _register(provider, "纳税信用评价", [{"name": "ent", "type": "string", "label": "企业名称"}])
    _register(provider, "气象观测", [{"name": "temp", "type": "decimal", "label": "气温"}])
    operator = user_with_role(Role.OPERATOR)
    page = client_for(operator).get(reverse("catalogue:resource_list") + "?q=企业").context["page"]
    assert sorted(r.name for r in page) == ["企业登记信息", "纳税信用评价"]


def test_facets_count_what_the_search_found(provider, client_for):
    _register(provider, "企业登记信息", [{"name": "a", "type": "string"}])
    response = client_for(provider).get(reverse("catalogue:resource_list") + "?q=企业")
    assert [(str(label), n) for _v, label, n in response.context["facets"]["domain"]] == [
        ("商贸流通", 1)
    ]


def test_public_catalogue_shows_only_open_metadata(provider):
    _register(provider, "公开资源", [{"name": "a", "type": "string"}], opening="conditional")
    _register(provider, "不予开放资源", [{"name": "a", "type": "string"}], opening="none")
    body = Client().get(reverse("catalogue:open_catalogue")).content.decode()
    assert "公开资源" in body and "不予开放资源" not in body


def _upload(client, resource, path, mode="replace"):
    """POST the file as the upload page does, then let the task worker run what it queued."""
    with path.open("rb") as handle:
        response = client.post(
            reverse("catalogue:version_upload", args=[resource.pk]),
            {"file": handle, "mode": mode},
        )
    run_worker()
    return response


@pytest.mark.django_db(transaction=True)
def test_provider_uploads_a_file_and_activates_after_tagging(
    resource, provider, client_for, tmp_path
):
    client = client_for(provider)
    path = write_csv(tmp_path / "a.csv", people(100))
    response = _upload(client, resource, path)
    job = IngestJob.objects.get(resource=resource)
    assert response["Location"] == reverse("catalogue:ingest_job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="succeeded"' in page and "已归集第 1 版：100 行" in page
    version = Version.objects.get(resource=resource)
    response = client.post(reverse("catalogue:version_activate", args=[version.pk]), follow=True)
    assert "尚未标注" in response.content.decode()
    for field in resource.fields.all():
        client.post(
            reverse("catalogue:field_tag", args=[field.pk]),
            {
                "pi_kind": "resident_id" if field.name == "身份证号" else "other",
                "sensitivity": "sensitive_pi",
            },
        )
    client.post(reverse("catalogue:version_activate", args=[version.pk]))
    version.refresh_from_db()
    assert version.status == "active"


@pytest.mark.django_db(transaction=True)
def test_job_page_polls_until_the_worker_has_run(resource, provider, client_for, tmp_path):
    client = client_for(provider)
    path = write_csv(tmp_path / "a.csv", people(10))
    with path.open("rb") as handle:
        response = client.post(
            reverse("catalogue:version_upload", args=[resource.pk]),
            {"file": handle, "mode": "replace"},
        )
    queued = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="queued"' in queued and 'hx-trigger="every 1s"' in queued
    run_worker()
    done = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="succeeded"' in done and "hx-trigger" not in done


@pytest.mark.django_db(transaction=True)
def test_bad_upload_shows_the_problems_and_keeps_the_active_version(
    resource, provider, client_for, tmp_path
):
    client = client_for(provider)
    _upload(client, resource, write_csv(tmp_path / "a.csv", people(20)))
    first = Version.objects.get(resource=resource)
    path = tmp_path / "bad.csv"
    path.write_text("姓名,身份证号\n张三\n")
    response = _upload(client, resource, path)
    body = client.get(response["Location"]).content.decode()
    assert 'data-status="failed"' in body
    assert "当前版本保持不变" in body and "缺少声明的列" in body
    assert list(Version.objects.filter(resource=resource)) == [first]
    assert [p for p in services.incoming_dir().iterdir() if p.is_file()] == []


def test_the_resource_page_states_each_fields_value_set_range_and_format(
    resource, provider, client_for
):
    field = resource.fields.get(name="区县")
    page = client_for(provider).get(reverse("catalogue:resource_detail", args=[resource.pk]))
    cell = page.content.decode().split('data-testid="constraint-区县">')[1].split("</td>")[0]
    assert "枚举：" + "、".join(field.choices) in cell
    resource.fields.filter(name="年龄").update(bound_low=18, bound_high=120000.5)
    page = client_for(provider).get(reverse("catalogue:resource_detail", args=[resource.pk]))
    cell = page.content.decode().split('data-testid="constraint-年龄">')[1].split("</td>")[0]
    assert "范围：18 至 120,000.5" in cell


@pytest.mark.django_db(transaction=True)
def test_another_provider_cannot_follow_the_job(resource, provider, client_for, tmp_path):
    response = _upload(client_for(provider), resource, write_csv(tmp_path / "a.csv", people(5)))
    other = user_with_role(Role.PROVIDER)
    assert client_for(other).get(response["Location"]).status_code == 404


def test_upload_of_an_unsupported_extension_is_refused(resource, provider, client_for, tmp_path):
    path = tmp_path / "x.exe"
    path.write_bytes(b"MZ")
    with path.open("rb") as handle:
        response = client_for(provider).post(
            reverse("catalogue:version_upload", args=[resource.pk]),
            {"file": handle, "mode": "replace"},
        )
    assert "只接受" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_upload_leaves_no_copy_behind(resource, provider, client_for, tmp_path):
    path = write_csv(tmp_path / "a.csv", people(10))
    _upload(client_for(provider), resource, path)
    assert [p for p in services.incoming_dir().rglob("*") if p.is_file()] == []
    assert [p for p in Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir() if p.is_file()] == []
    assert Version.objects.filter(resource=resource).count() == 1
