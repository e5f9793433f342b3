import json

from django.core.management import call_command

from pdao.catalogue.choices import VersionStatus
from pdao.catalogue.ingest import is_resident_id
from pdao.catalogue.models import Resource, Version


def test_demo_catalogue_has_twelve_synthetic_active_resources(demo):
    resources = Resource.objects.all()
    assert resources.count() == 12
    assert all(r.is_synthetic for r in resources)
    assert Version.objects.filter(status=VersionStatus.ACTIVE).count() == 12
    assert resources.values("provider").distinct().count() >= 8


def test_demo_resident_ids_are_valid_and_found_by_the_scan(demo):
    version = Version.objects.get(resource__name="就业登记", status=VersionStatus.ACTIVE)
    kinds = {f["column"]: f["kind"] for f in version.pi_findings}
    assert kinds["身份证号"] == "resident_id" and kinds["手机号"] == "mobile"
    import duckdb

    from pdao.catalogue.services import versions_dir

    ids = (
        duckdb.connect()
        .execute(f"SELECT 身份证号 FROM read_parquet('{versions_dir() / version.path}') LIMIT 200")
        .fetchall()
    )
    assert all(is_resident_id(i[0]) for i in ids)


def test_seed_is_idempotent(demo):
    demo.seed_again()
    assert Resource.objects.count() == 12 and Version.objects.count() == 12


def test_catalogue_export_prints_resources_fields_and_active_versions(demo, capsys):
    call_command("catalogue_export", "--json")
    data = json.loads(capsys.readouterr().out)
    social = next(r for r in data["resources"] if r["name"] == "社保缴纳记录")
    assert social["active_version"]["rows"] == 5_000
    assert len(social["active_version"]["sha256"]) == 64
    assert {"name": "身份证号", "pi_kind": "resident_id"}.items() <= next(
        f for f in social["fields"] if f["name"] == "身份证号"
    ).items()
