import pytest
from django.test import Client
from django.urls import reverse

from pdao.catalogue import services
from pdao.catalogue.models import Version
from pdao.core.permissions import Role
from tests.catalogue.test_ingest import people, write_csv
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def _register(provider, name, fields, opening="none"):
    return services.register_resource(
        by=provider, provider=provider.organisation, fields=fields, name=name, domain="commerce",
        sharing="conditional", opening=opening, frequency="daily", grade="general_2",
    )  # fmt: skip


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


def test_provider_uploads_a_file_and_activates_after_tagging(
    resource, provider, client_for, tmp_path
):
    client = client_for(provider)
    path = write_csv(tmp_path / "a.csv", people(100))
    with path.open("rb") as handle:
        response = client.post(
            reverse("catalogue:version_upload", args=[resource.pk]),
            {"file": handle, "mode": "replace"},
        )
    assert response.status_code == 302
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


def test_bad_upload_shows_the_problems_and_keeps_the_page(resource, provider, client_for, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("姓名,身份证号\n张三\n")
    with path.open("rb") as handle:
        response = client_for(provider).post(
            reverse("catalogue:version_upload", args=[resource.pk]),
            {"file": handle, "mode": "replace"},
        )
    body = response.content.decode()
    assert response.status_code == 200
    assert "当前版本保持不变" in body and "缺少声明的列" in body
    assert not Version.objects.exists()


def test_upload_of_an_unsupported_extension_is_refused(resource, provider, client_for, tmp_path):
    path = tmp_path / "x.exe"
    path.write_bytes(b"MZ")
    with path.open("rb") as handle:
        response = client_for(provider).post(
            reverse("catalogue:version_upload", args=[resource.pk]),
            {"file": handle, "mode": "replace"},
        )
    assert "只接受" in response.content.decode()


def test_small_upload_leaves_no_copy_behind(resource, provider, client_for, tmp_path):
    from pdao.catalogue.services import versions_dir

    path = write_csv(tmp_path / "a.csv", people(10))
    with path.open("rb") as handle:
        client_for(provider).post(
            reverse("catalogue:version_upload", args=[resource.pk]),
            {"file": handle, "mode": "replace"},
        )
    staged = list((versions_dir() / ".uploads").iterdir())
    assert staged == []
    assert Version.objects.filter(resource=resource).count() == 1
