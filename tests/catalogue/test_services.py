import pytest
from django.core.management import CommandError, call_command

from pdao.accounts.choices import OrganisationType
from pdao.audit.models import AuditEvent
from pdao.catalogue import ingest, services
from pdao.catalogue.choices import PIKind, VersionStatus
from pdao.catalogue.models import Version
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from tests.catalogue.test_ingest import COLUMNS, people, write_csv
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db


def _tag_all(resource, provider):
    kinds = {"姓名": PIKind.PERSON_NAME, "身份证号": PIKind.RESIDENT_ID, "手机号": PIKind.MOBILE}
    for field in resource.fields.all():
        services.tag_field(field, by=provider, pi_kind=kinds.get(field.name, PIKind.NONE))


def test_register_gives_a_documented_code_and_audits(resource, provider):
    org = provider.organisation
    assert resource.code == f"{org.division_code}-{org.pk:03d}-00001"
    assert resource.fields.count() == len(COLUMNS)
    assert AuditEvent.objects.filter(action="dataset.register", object_id=str(resource.pk)).exists()


def test_ingest_records_version_on_the_ledger(
    resource, provider, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = services.ingest_version(
            resource, write_csv(tmp_path / "a.csv", people(100)), by=provider
        )
    assert (version.number, version.rows, version.status) == (1, 100, VersionStatus.READY)
    entry = LedgerEntry.objects.get(object_type="catalogue.version", object_id=str(version.pk))
    assert entry.content_hash == version.sha256 and entry.position is not None


def test_untagged_personal_information_blocks_activation_until_tagged(resource, provider, tmp_path):
    version = services.ingest_version(
        resource, write_csv(tmp_path / "a.csv", people(200)), by=provider
    )
    with pytest.raises(RuleViolation, match="身份证号"):
        services.activate_version(version, by=provider)
    _tag_all(resource, provider)
    services.activate_version(version, by=provider)
    assert resource.active_version == version


@pytest.mark.parametrize(
    "case", ["empty", "ragged", "type", "wrong encoding", "long line", "not a csv"]
)
def test_bad_input_leaves_the_active_version_served(resource, provider, tmp_path, case):
    from tests.catalogue.test_ingest import BAD

    _tag_all(resource, provider)
    good = services.ingest_version(resource, write_csv(tmp_path / "a.csv", people(50)), by=provider)
    services.activate_version(good, by=provider)
    bad = tmp_path / "bad.csv"
    BAD[case][0](bad)
    with pytest.raises(ingest.IngestError):
        services.ingest_version(resource, bad, by=provider, declared_format="csv")
    assert resource.active_version == good
    assert Version.objects.filter(resource=resource).count() == 1
    assert (services.versions_dir() / good.path).exists()
    event = AuditEvent.objects.get(action="dataset.version_rejected")
    assert event.changes["problems"]


def test_append_adds_rows_to_the_active_version(resource, provider, tmp_path):
    _tag_all(resource, provider)
    first = services.ingest_version(
        resource, write_csv(tmp_path / "a.csv", people(30, seed=1)), by=provider
    )
    services.activate_version(first, by=provider)
    second = services.ingest_version(
        resource, write_csv(tmp_path / "b.csv", people(20, seed=2)), by=provider, mode="append"
    )
    assert second.rows == 50
    services.activate_version(second, by=provider)
    first.refresh_from_db()
    assert first.status == VersionStatus.SUPERSEDED


def test_a_provider_cannot_change_another_providers_resource(resource, tmp_path):
    other = user_with_role(
        Role.PROVIDER, organisation=OrganisationFactory(type=OrganisationType.PROVIDER)
    )
    with pytest.raises(RuleViolation):
        services.ingest_version(resource, write_csv(tmp_path / "a.csv", people(5)), by=other)
    with pytest.raises(RuleViolation):
        services.tag_field(resource.fields.first(), by=other, pi_kind=PIKind.NONE)
    assert not Version.objects.exists()


def test_ingest_command_succeeds_and_fails_with_the_report(resource, provider, tmp_path, capsys):
    _tag_all(resource, provider)
    good = write_csv(tmp_path / "a.csv", people(20))
    call_command("ingest", resource.code, str(good), "--as-user", provider.username, "--activate")
    out = capsys.readouterr().out
    assert f"{resource.code} v1: 20 rows" in out and "activated" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(c.name for c in COLUMNS) + "\n张三,1,2\n")
    with pytest.raises(CommandError, match="was refused"):
        call_command("ingest", resource.code, str(bad), "--as-user", provider.username)
    assert "列数少于表头" in capsys.readouterr().err


def test_quality_rules_score_each_version_and_failures_are_reported(resource, provider, tmp_path):
    services.add_quality_rule(resource, by=provider, kind="uniqueness", columns=["身份证号"])
    services.add_quality_rule(
        resource, by=provider, kind="range", columns=["年龄"], params={"min": 18, "max": 60}
    )
    version = services.ingest_version(
        resource, write_csv(tmp_path / "a.csv", people(200)), by=provider
    )
    report = {r["kind"]: r for r in version.quality_report}
    assert report["uniqueness"]["passed"]
    assert not report["range"]["passed"] and report["range"]["failed"] > 0
    assert 50 < version.quality_score < 100
    event = AuditEvent.objects.get(action="dataset.quality_failed")
    assert event.changes["failed"] == ["range(年龄)"]


def test_referential_rule_checks_against_another_resources_active_version(
    resource, provider, tmp_path
):
    districts = services.register_resource(
        by=provider, provider=provider.organisation, fields=[{"name": "区县", "type": "string"}],
        name="区县代码表", domain="governance", sharing="unconditional", opening="unconditional",
        frequency="yearly", grade="general_1",
    )  # fmt: skip
    table = tmp_path / "d.csv"
    table.write_text("区县\n城中区\n鱼峰区\n")
    services.activate_version(services.ingest_version(districts, table, by=provider), by=provider)
    services.add_quality_rule(
        resource, by=provider, kind="referential", columns=["区县"],
        params={"resource_code": districts.code, "ref_column": "区县"},
    )  # fmt: skip
    version = services.ingest_version(
        resource, write_csv(tmp_path / "a.csv", people(100)), by=provider
    )
    [outcome] = version.quality_report
    assert 0 < outcome["failed"] < 100  # only 城中区 and 鱼峰区 of the five districts exist


def test_quality_rule_on_an_unknown_field_is_refused(resource, provider):
    with pytest.raises(RuleViolation, match="不存在的字段"):
        services.add_quality_rule(resource, by=provider, kind="completeness", columns=["无此字段"])


def test_bureau_approves_grading_anchored_and_due_for_re_review(resource, bureau_admin):
    from datetime import timedelta

    from django.utils import timezone

    services.review_grading(
        resource, by=bureau_admin, approve=True, grade="important", harm_objects=["individuals"]
    )
    resource.refresh_from_db()
    assert (resource.grade, resource.grading_status) == ("important", "approved")
    assert resource.is_authorizable
    assert resource.grading_review_due == timezone.localdate() + timedelta(days=365)
    assert LedgerEntry.objects.filter(type="dataset.grading", object_id=str(resource.pk)).exists()
    event = AuditEvent.objects.get(action="dataset.grading")
    assert event.changes["grade"] == ["general_3", "important"]


def test_core_data_is_never_authorizable(resource, bureau_admin):
    services.review_grading(resource, by=bureau_admin, approve=True, grade="core", harm_objects=[])
    resource.refresh_from_db()
    assert not resource.is_authorizable


def test_only_the_bureau_grades_and_a_return_needs_a_reason(resource, provider, bureau_admin):
    with pytest.raises(RuleViolation, match="市数据局"):
        services.review_grading(resource, by=provider, approve=True, grade="core", harm_objects=[])
    with pytest.raises(RuleViolation, match="理由"):
        services.review_grading(
            resource, by=bureau_admin, approve=False, grade="core", harm_objects=[]
        )
    resource.refresh_from_db()
    assert (resource.grading_status, resource.is_authorizable) == ("pending", False)


def test_re_review_due_shows_on_the_bureau_workbench(resource, bureau_admin, client_for):
    from datetime import timedelta

    from django.utils import timezone

    services.review_grading(
        resource, by=bureau_admin, approve=True, grade="general_3", harm_objects=[]
    )
    resource.__class__.objects.filter(pk=resource.pk).update(
        grading_review_due=timezone.localdate() - timedelta(days=1)
    )
    response = client_for(bureau_admin).get("/workbench/")
    items = {str(i.title): i.count for s in response.context["sections"] for i in s["items"]}
    assert items["分级复审到期"] == 1
