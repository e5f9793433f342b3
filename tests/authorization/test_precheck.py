"""Each compliance pre-check rule fires on the case it names, and blocks submission."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pdao.authorization import precheck, services
from pdao.authorization.choices import ApplicationStatus
from pdao.authorization.models import Cap, DemandField, Qualification, QualificationRule
from tests.authorization.conftest import verified_operator


def _rules(application) -> dict[str, str]:
    """rule → worst severity found."""
    worst = {}
    for f in precheck.run(application):
        if f.severity != "pass" or f.rule not in worst:
            worst.setdefault(f.rule, f.severity)
    return worst


def test_a_clean_application_passes_every_rule_and_lists_them(city):
    application = city.draft((city.social, ["aggregate"]))
    findings = precheck.run(application)
    assert {f.rule for f in findings} == set(precheck.BASIS)
    assert [f for f in findings if f.severity == "error"] == []
    assert all(f.basis for f in findings)


def test_core_data_is_never_authorizable(city):
    core = city.resource("人口基础信息", grade="core")
    application = city.draft((core, ["aggregate"]))
    assert _rules(application)["grade.no_core"] == "error"
    services.submit(application, by=city.operator)
    assert application.status == ApplicationStatus.DRAFT
    assert any(f["rule"] == "grade.no_core" for f in application.precheck)


def test_grading_must_be_approved_by_the_bureau(city):
    pending = city.resource("未审定资源", approve=False)
    assert _rules(city.draft((pending, ["aggregate"])))["grade.reviewed"] == "error"


@pytest.mark.parametrize(
    "forms, severity",
    [(["aggregate", "dp"], "pass"), (["deidentified"], "error"), (["model"], "error")],
)
def test_important_data_only_with_aggregate_or_dp_outputs(city, forms, severity):
    important = city.resource("重要数据", grade="important")
    assert _rules(city.draft((important, forms)))["grade.important_outputs"] == severity


def test_sensitive_personal_information_needs_a_justification(city):
    application = city.draft((city.social, ["aggregate"]))
    DemandField.objects.filter(item__application=application, field__name="身份证号").update(
        justification=""
    )
    assert _rules(application)["pi.sensitive"] == "error"


def test_sensitive_personal_information_cannot_leave_as_a_model(city):
    assert _rules(city.draft((city.social, ["model"])))["pi.sensitive"] == "error"


def test_qualification_must_be_verified_and_current(city):
    application = city.draft((city.social, ["aggregate"]))
    profile = Qualification.objects.get(organisation=city.operator.organisation)
    profile.dengbao_expires = timezone.localdate() - timedelta(days=1)
    profile.save()
    assert _rules(application)["qualification.valid"] == "error"
    profile.delete()
    assert _rules(application)["qualification.valid"] == "error"


def test_qualification_must_suffice_for_the_highest_grade(city):
    weak = verified_operator(city.bureau, dengbao=2, dsmm=1, iso=False)
    general = city.draft((city.enterprises, ["aggregate"]), operator=weak)
    assert _rules(general)["qualification.sufficient"] == "pass"
    important = city.resource("重要数据", grade="important")
    application = city.draft((important, ["aggregate"]), operator=weak)
    finding = next(f for f in precheck.run(application) if f.rule == "qualification.sufficient")
    assert finding.severity == "error"
    assert "等保 3 级" in finding.message and "ISO" in finding.message
    # The table is the bureau's to change.
    QualificationRule.objects.filter(grade="important").update(
        min_dengbao=2, min_dsmm=0, needs_iso27001=False
    )
    assert _rules(application)["qualification.sufficient"] == "pass"


def test_sharing_attribute_not_shared_is_refused_and_open_data_is_flagged(city):
    closed = city.resource("不予共享资源", sharing="none")
    assert _rules(city.draft((closed, ["aggregate"])))["attributes.sharing"] == "error"
    open_data = city.resource("无条件开放资源", opening="unconditional")
    assert _rules(city.draft((open_data, ["aggregate"])))["attributes.sharing"] == "warning"


def test_quota_left_on_resource_and_domain(city):
    first = city.to_decision(city.draft((city.social, ["aggregate"])))
    city.activate(first)
    Cap.objects.create(scope="resource", resource=city.social, max_active=1)
    second = city.draft((city.social, ["aggregate"]))
    assert _rules(second)["cap.quota"] == "error"
    Cap.objects.all().delete()
    assert _rules(second)["cap.quota"] == "pass"
    Cap.objects.create(scope="domain", domain="governance", max_active=1)
    assert _rules(second)["cap.quota"] == "error"


def test_resource_without_an_active_version_is_a_warning(city):
    assert _rules(city.draft((city.social, ["aggregate"])))["version.active"] == "warning"


def test_empty_demand_list_is_refused(city):
    application = services.create_application(
        by=city.operator,
        scenario="空",
        domain="governance",
        purpose="industry",
        description="d",
        beneficiaries="b",
        outcomes="o",
        security_plan="s",
    )
    assert _rules(application)["scope.nonempty"] == "error"
