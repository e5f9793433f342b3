"""Every figure recomputed by hand on a small city: two authorizations (one since June 2025),
one product, deliveries this month and before, registrations, quality reports, revenue, a
remittance, incidents, spot-check findings, an emergency action, the yearly report and
disclosures, a typical scenario packaged for the national call and two firms."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from pdao.authorization.models import Authorization
from pdao.catalogue.models import Registration, Version
from pdao.finance.models import AnnualReport, Remittance, RevenueLine
from pdao.market.models import FirmApplication
from pdao.showcase import kpis
from pdao.showcase.models import Disclosure, KpiValue, Nomination
from pdao.supervision.models import EmergencyAction, Incident, SpotCheck, SpotCheckItem
from tests.factories import OrganisationFactory
from tests.showcase.conftest import deliver

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def city_month(showcase):
    """The small city, and this month's bounds."""
    m, city = showcase.market, showcase.market.city
    month = kpis.month_of(timezone.localdate())
    start, _end = kpis.month_bounds(month)
    inside, before = start + timedelta(hours=1), start - timedelta(hours=1)
    if inside > timezone.now():  # the first hour of a month: stay in the past
        inside = start + (timezone.now() - start) / 2
    # A second authorization, over 企业登记信息, in force since June 2025.
    second = city.activate(city.to_decision(city.draft((city.enterprises, ["aggregate"]))))
    Authorization.objects.filter(pk=second.pk).update(
        created_at=datetime(2025, 6, 1, 9, tzinfo=SHANGHAI),
        starts_on=datetime(2025, 6, 1).date(),
        ends_on=datetime(2027, 5, 31).date(),
    )
    # Registration: 社保缴纳记录 confirmed, 企业登记信息 not.
    Registration.objects.create(
        resource=city.social, kind="initial", status="confirmed", snapshot={},
        commitment_signed_by="某", commitment_signed_at=before, code="LZ-REG-1",
        decided_at=before,
    )  # fmt: skip
    # Quality: the 社保 version passed every rule; a version of 企业登记信息 failed one; a version
    # without rules is not counted.
    Version.objects.filter(resource=city.social).update(quality_report=[{"passed": True}])
    late = Version.objects.create(
        resource=city.enterprises, number=1, mode="replace", status="ready", path="x.parquet",
        sha256="0" * 64, rows=1, bytes=1, source_format="csv", encoding="utf-8",
        quality_report=[{"passed": True}, {"passed": False}],
    )  # fmt: skip
    # Updates: both resources are monthly (35 days allowed); 企业登记信息's last version is 40
    # days before the month's end, 社保缴纳记录's was made today.
    Version.objects.filter(pk=late.pk).update(created_at=_end - timedelta(days=40))
    # Use this month: four answered (three by one consumer, one by the other), two refused.
    first, second_sub = showcase.subscriptions
    local = timezone.localtime(inside)
    moment = (local.year, local.month, local.day, local.hour, local.minute)
    deliver(first, moment, moment, moment)
    deliver(second_sub, moment)
    deliver(first, moment, moment, status=403)
    # Revenue: 12.34 + 0.66 yuan this month; 99.00 last month.
    lines = (
        (month, 1234, first),
        (month, 66, second_sub),
        (kpis.months_back(month, 2)[0], 9900, first),
    )
    for month_label, fen, subscription in lines:
        RevenueLine.objects.create(
            month=month_label, operator=showcase.operator.organisation,
            consumer=subscription.consumer, product=showcase.product, subscription=subscription,
            purpose="industry", source="call", charging="per_call", unit_price=Decimal("0.4"),
            calls=1, quantity=Decimal(1), amount_fen=fen,
        )  # fmt: skip
    # Remittances: 500.00 confirmed; 70.00 paid, not yet confirmed.
    for quarter, status, fen in ((1, "confirmed", 50000), (2, "paid", 7000)):
        Remittance.objects.create(
            code=f"R{quarter}", authorization=m.authorization,
            operator=showcase.operator.organisation, year=2026, quarter=quarter, revenue_fen=fen,
            amount_fen=fen, share_percent=Decimal(10), status=status,
            due_on=timezone.localdate(), payee="p", bank="b", account_no="a", budget_code="c",
            budget_name="n", notice_sha256="0" * 64, issued_by=city.bureau,
            paid_on=timezone.localdate(), paid_fen=fen, paid_by=city.bureau, paid_at=before,
            confirmed_by=city.bureau if status == "confirmed" else None,
            confirmed_at=before if status == "confirmed" else None,
        )  # fmt: skip
    # Incidents: two opened this month, one before; spot-check findings: two non-compliant,
    # one of them closed with its incident; one emergency action this month, one before.
    incidents = [
        Incident.objects.create(code=f"I{n}", title="t", severity="low", description="d",
                                opened_by=city.bureau)
        for n in range(3)
    ]  # fmt: skip
    Incident.objects.filter(pk__in=[incidents[0].pk, incidents[1].pk]).update(opened_at=inside)
    Incident.objects.filter(pk=incidents[2].pk).update(
        opened_at=before, status="closed", closed_at=before, closed_by=city.bureau
    )
    check = SpotCheck.objects.create(
        code="S1", title="t", period_start=before - timedelta(days=1), period_end=before,
        size=2, seed="s", created_by=city.bureau,
    )  # fmt: skip
    answered = showcase.product.deliveries.filter(status=200)[:2]
    for delivery, incident in zip(answered, (incidents[2], incidents[0]), strict=True):
        SpotCheckItem.objects.create(
            spot_check=check, delivery=delivery, conclusion="noncompliant",
            reviewed_by=city.bureau, reviewed_at=before, incident=incident,
        )  # fmt: skip
    for when in (inside, before):
        action = EmergencyAction.objects.create(
            kind="freeze_product", target=showcase.product.code, reason="r", taken_by=city.bureau
        )
        EmergencyAction.objects.filter(pk=action.pk).update(taken_at=when)
    # 2025 (the second authorization's first year): the yearly report filed in time; the
    # operator disclosed in time, the bureau late.
    AnnualReport.objects.create(
        year=2025, status="filed", docx_sha256="0", xlsx_sha256="0", generated_by=city.bureau,
        generated_at=datetime(2026, 3, 1, tzinfo=SHANGHAI), filed_by=city.bureau,
        filed_at=datetime(2026, 3, 20, tzinfo=SHANGHAI),
    )  # fmt: skip
    for organisation, day in ((showcase.operator.organisation, 1), (city.bureau.organisation, 35)):
        Disclosure.objects.create(
            year=2025, organisation=organisation, status="published", content={}, sha256="0",
            drafted_by=city.bureau, drafted_at=datetime(2026, 3, 1, tzinfo=SHANGHAI),
            published_by=city.bureau,
            published_at=datetime(2026, 3, 1, tzinfo=SHANGHAI) + timedelta(days=day),
        )  # fmt: skip
    # A typical scenario, packaged; two verified firms and one waiting.
    from pdao.showcase import typical

    nomination = typical.nominate(showcase.scenario, by=showcase.department, reason="r")
    Nomination.objects.filter(pk=nomination.pk).update(
        status="confirmed", decided_at=inside, decided_by=showcase.taskforce, packaged_at=inside
    )
    for status in ("verified", "verified", "submitted"):
        FirmApplication.objects.create(
            organisation=OrganisationFactory(), category="merchant", qualifications="q",
            contact="c", status=status, submitted_by=city.bureau,
            decided_at=before if status == "verified" else None,
            decided_by=city.bureau if status == "verified" else None,
        )  # fmt: skip
    return month


def test_every_figure_matches_the_hand_count(city_month):
    values = kpis.compute(city_month)
    assert values == {
        "authorizations": 2,  # the market's, and the second one since June 2025
        "resources": 2,  # 社保缴纳记录 and 企业登记信息
        "registration": Decimal("50.0"),  # 1 of 2 registered
        "updates": Decimal("50.0"),  # 社保 updated this month, 企业登记信息 40 days ago
        "quality": Decimal("50.0"),  # 1 of the 2 versions with rules passed all of them
        "filed": 1,
        "listed": 1,
        "filed_public": 1,  # the market's authorization is 公益
        "filed_industry": 0,
        "calls": 4,
        "consumers": 2,
        "in_production": 1,
        "revenue": Decimal("13.00"),  # 12.34 + 0.66
        "remitted": Decimal("500.00"),
        "incidents": 2,
        "findings": Decimal("50.0"),  # 1 of the 2 non-compliant findings closed
        "actions": 1,
        "on_time": Decimal("66.7"),  # report and operator on time, the bureau late: 2 of 3
        "typical": 1,
        "national": 1,
        "firms": 2,
    }


def test_a_rate_with_nothing_to_count_is_empty_not_zero(showcase):
    values = kpis.compute(kpis.month_of(timezone.localdate()))
    assert values["registration"] == Decimal("0.0")  # one authorized resource, unregistered
    assert values["findings"] is None and values["on_time"] is None


def test_the_months_are_kept_once_and_recomputed_in_place(city_month):
    kpis.record_month(city_month)
    kpis.record_month(city_month)
    assert KpiValue.objects.filter(month=city_month).count() == len(kpis.KPIS)
    assert KpiValue.objects.get(month=city_month, key="calls").value == 4


def test_the_forecast_carries_the_current_value_along_the_trend_to_the_deadline():
    # 2, 4, 6 in Sep, Oct, Nov 2026: slope 2 a month, one month left → 8 in December.
    points = [("2026-09", Decimal(2)), ("2026-10", Decimal(4)), ("2026-11", Decimal(6))]
    assert kpis.forecast(points) == Decimal("8.0")
    # 0, 0, 0, 0, 0, 4 (Jun–Nov): slope Σ(x − 3.5)·y / Σ(x − 3.5)² = 2.5 · 4 / 17.5 = 0.571…;
    # 4 + 0.571… = 4.6 — never below the value reached, as a line through the points would be.
    jump = [(f"2026-{m:02d}", Decimal(0)) for m in range(6, 11)] + [("2026-11", Decimal(4))]
    assert kpis.forecast(jump) == Decimal("4.6")
    # From September, three months left: 1, 1, 4 in Jul–Sep, slope 1.5 → 4 + 4.5 = 8.5.
    assert kpis.forecast(
        [("2026-07", Decimal(1)), ("2026-08", Decimal(1)), ("2026-09", Decimal(4))]
    ) == Decimal("8.5")
    assert kpis.forecast([("2026-11", Decimal(3))]) == Decimal(3)
    # A falling series (figures recomputed lower) is held at its last value.
    assert kpis.forecast([("2026-10", Decimal(5)), ("2026-11", Decimal(1))]) == Decimal("1.0")
    # Past the deadline nothing is added.
    assert kpis.forecast([("2027-01", Decimal(1)), ("2027-02", Decimal(3))]) == Decimal("3.0")
