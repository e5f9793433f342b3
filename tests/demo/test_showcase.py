"""The demo's scenario registry and typical scenarios: twelve scenarios in at least seven
domains, four confirmed typical with their use measured from the records, one packaged for the
national call, and each role's showcase work on its workbench."""

from django.test import Client
from django.utils import timezone

from pdao.accounts.models import User
from pdao.core.permissions import Role
from pdao.core.workbench import work_for
from pdao.showcase import scenarios, typical
from pdao.showcase.choices import NominationStatus
from pdao.showcase.models import Nomination, Scenario


def test_twelve_scenarios_in_seven_domains_four_typical_one_national(demo):
    registry = list(Scenario.objects.all())
    assert len(registry) == 12
    assert len({s.domain for s in registry}) >= 7
    confirmed = Nomination.objects.filter(status=NominationStatus.CONFIRMED)
    assert confirmed.count() == 4
    assert typical.counts()["national"] == 1
    use = scenarios.measured_use([n.scenario for n in confirmed])
    assert all(use[n.scenario_id].calls > 0 for n in confirmed)
    assert all(n.mean_score and n.counted_scores for n in confirmed)
    packaged = confirmed.get(packaged_at__isnull=False)
    assert typical.package_bytes(packaged, "pdf").startswith(b"%PDF")


def test_the_public_showcase_lists_the_typical_scenarios_by_domain(demo):
    page = Client().get("/showcase/").content.decode()
    for nomination in Nomination.objects.filter(status=NominationStatus.CONFIRMED):
        assert nomination.scenario.name in page
    assert "公交" in page or "客流" in page


def test_the_operators_see_their_cases_to_write_and_the_departments_their_candidates(demo):
    operator = User.objects.get(username="operator2")
    titles = {str(i.title): i.count for i in work_for(operator, Role.OPERATOR)}
    assert titles["待编写案例的应用场景"] >= 1
    department = User.objects.get(username="industry")
    titles = {str(i.title): i.count for i in work_for(department, Role.INDUSTRY_LEAD)}
    assert "本领域可推荐的应用场景" in titles


def test_a_year_of_figures_two_evaluations_one_exit_and_last_years_disclosure(demo):
    from pdao.authorization.choices import ExitStatus
    from pdao.authorization.models import Exit
    from pdao.showcase import disclosures, kpis
    from pdao.showcase.choices import Result
    from pdao.showcase.models import Evaluation, KpiValue

    today = timezone.localdate()
    months = kpis.months_back(kpis.month_of(today), 12)
    assert set(KpiValue.objects.values_list("month", flat=True)) == set(months)
    assert KpiValue.objects.get(month=months[-1], key="typical").value == 4
    results = dict(Evaluation.objects.values_list("authorization__code", "result"))
    assert results == {"DEMO-FIN": Result.PASS, "DEMO-DP": Result.BASIC}
    assert Evaluation.objects.get(authorization__code="DEMO-DP").rectification
    exit_ = Exit.objects.get()
    assert exit_.authorization.code == "DEMO-FREIGHT" and exit_.status == ExitStatus.WOUND_DOWN
    published = disclosures.parties(today.year - 1)
    assert published and all(when and when < disclosures.deadline(today.year - 1)
                             for _o, when in published)  # fmt: skip
    page = Client().get(f"/showcase/disclosures/{today.year - 1}/").content.decode()
    assert "桂融信用" in page or "广西桂融信用数据服务有限公司" in page
