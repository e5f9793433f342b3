"""绩效指标: the programme's figures computed from the records, each with its definition and a
link to the records it counts, kept month by month (`KpiValue`) so progress can be followed and
the plan's end-2026 targets forecast.

Every figure is computed "as of" the end of a month from the records' own dates (granted,
filed, delivered, opened…): a month already past gives the same value when computed again,
except where a record's later change of state is all the platform keeps (a product's status;
noted in its definition). Rates are percentages rounded half-up to 0.1; money is yuan to the
分. A rate with nothing to count is None (shown as —), never 0 % or 100 %.

The forecast of a target (a cumulative count, which never falls) continues its trend from where
it stands: the current value plus the slope of the least-squares line through the last six
months' values times the months left to the deadline, never below the current value; with
fewer than two months it is the current value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.authorization.models import Authorization
from pdao.catalogue.models import Registration, Resource, Version
from pdao.catalogue.quality import FREQUENCY_DAYS, timeliness
from pdao.finance.choices import RemittanceStatus
from pdao.finance.models import AnnualReport, Remittance, RevenueLine
from pdao.market.models import FirmApplication
from pdao.products.models import Delivery, Product
from pdao.showcase import disclosures
from pdao.showcase.models import KpiValue, Nomination
from pdao.supervision.models import EmergencyAction, Incident, SpotCheckItem

DEADLINE = date(2026, 12, 31)  # the plan's targets are for the end of 2026
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Kpi:
    key: str
    group: object
    label: object
    definition: object
    unit: object  # 个, 次, %, 元 …
    compute: Callable[[datetime, datetime], Decimal | int | None]  # (month start, month end)
    url: Callable[[date, date], str]  # (first day, last day) → the records counted
    target: int | None = None
    short: object = ""  # a chart's axis label, where the full one does not fit


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first instant of `month` (YYYY-MM) and of the next, in Asia/Shanghai."""
    year, number = (int(p) for p in month.split("-"))
    start = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    aware = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), aware),
        timezone.make_aware(datetime.combine(following, time.min), aware),
    )


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def months_back(month: str, n: int) -> list[str]:
    """`n` months ending with `month`, oldest first."""
    year, number = (int(p) for p in month.split("-"))
    out = []
    for _i in range(n):
        out.append(f"{year:04d}-{number:02d}")
        number -= 1
        if number == 0:
            year, number = year - 1, 12
    return out[::-1]


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_UP)


def _url(name: str, *, within: str = "", **query) -> Callable[[date, date], str]:
    """A link to the list `name`, filtered by `query` and, when `within` names the list's date
    range filter, to the month's days."""

    def link(first: date, last: date) -> str:
        from urllib.parse import urlencode

        found = dict(query)
        if within:
            found |= {f"{within}_after": first.isoformat(), f"{within}_before": last.isoformat()}
        url = reverse(name)
        return f"{url}?{urlencode(found)}" if found else url

    return link


def days_of(day: date) -> tuple[date, date]:
    """The first and last day of `day`'s month."""
    start, end = month_bounds(month_of(day))
    return timezone.localdate(start), timezone.localdate(end - timedelta(microseconds=1))


# --- The figures --------------------------------------------------------------------------------


def _in_force(end: datetime):
    """Authorizations granted before `end`, whose term covers the day before it and that had not
    begun their exit by then."""

    last_day = timezone.localdate(end - timedelta(microseconds=1))
    return Authorization.objects.filter(
        created_at__lt=end, starts_on__lte=last_day, ends_on__gte=last_day
    ).exclude(exit__started_at__lt=end)


def authorizations_in_force(start, end) -> int:
    return _in_force(end).count()


def resources_authorized(start, end) -> int:
    return (
        Resource.objects.filter(demand_items__application__authorization__in=_in_force(end))
        .distinct()
        .count()
    )


def registration_coverage(start, end) -> Decimal | None:
    authorized = Resource.objects.filter(
        demand_items__application__authorization__in=_in_force(end)
    ).distinct()
    registered = authorized.filter(
        pk__in=Registration.objects.filter(
            status=Registration.Status.CONFIRMED, decided_at__lt=end
        ).values("resource_id")
    )
    return _rate(registered.count(), authorized.count())


def updates_on_time(start, end) -> Decimal | None:
    """Authorized resources with a declared frequency whose latest version, as of `end`, is
    within the frequency's allowance (pdao.catalogue.quality.timeliness)."""
    authorized = Resource.objects.filter(
        demand_items__application__authorization__in=_in_force(end),
        frequency__in=list(FREQUENCY_DAYS),
    ).distinct()
    latest = dict(
        Version.objects.filter(resource__in=authorized, created_at__lt=end)
        .order_by()
        .values("resource_id")
        .annotate(last=Max("created_at"))
        .values_list("resource_id", "last")
    )
    on_time = sum(
        1
        for resource in authorized
        if timeliness(resource.frequency, latest.get(resource.pk), end)[0]
    )
    return _rate(on_time, len(authorized))


def quality_pass_rate(start, end) -> Decimal | None:
    checked = Version.objects.filter(created_at__lt=end).exclude(quality_report=[])
    passed = sum(1 for report in checked.values_list("quality_report", flat=True)
                 if all(r.get("passed") for r in report))  # fmt: skip
    return _rate(passed, checked.count())


def products_filed(start, end) -> int:
    return Product.objects.filter(filed_at__lt=end).count()


def products_listed(start, end) -> int:
    return Product.objects.filter(listed_at__lt=end, status="listed").count()


def products_filed_public(start, end) -> int:
    return Product.objects.filter(filed_at__lt=end, purpose="public_welfare").count()


def products_filed_industry(start, end) -> int:
    return Product.objects.filter(filed_at__lt=end, purpose="industry").count()


def _answered(start, end):
    return Delivery.objects.filter(status=200, created_at__gte=start, created_at__lt=end)


def calls(start, end) -> int:
    return _answered(start, end).count()


def consumers(start, end) -> int:
    return _answered(start, end).order_by().values("consumer_id").distinct().count()


def scenarios_in_production(start, end) -> int:
    return _answered(start, end).order_by().values("product__authorization_id").distinct().count()


def revenue(start, end) -> Decimal:
    fen = RevenueLine.objects.filter(month=month_of(timezone.localdate(start))).aggregate(
        s=Sum("amount_fen")
    )["s"]
    return Decimal(fen or 0) / 100


def remitted(start, end) -> Decimal:
    fen = Remittance.objects.filter(
        status=RemittanceStatus.CONFIRMED, confirmed_at__lt=end
    ).aggregate(s=Sum("paid_fen"))["s"]
    return Decimal(fen or 0) / 100


def incidents(start, end) -> int:
    return Incident.objects.filter(opened_at__gte=start, opened_at__lt=end).count()


def findings_closed(start, end) -> Decimal | None:
    findings = SpotCheckItem.objects.filter(
        conclusion=SpotCheckItem.Conclusion.NONCOMPLIANT, reviewed_at__lt=end
    )
    closed = findings.filter(incident__closed_at__lt=end)
    return _rate(closed.count(), findings.count())


def emergency_actions(start, end) -> int:
    return EmergencyAction.objects.filter(taken_at__gte=start, taken_at__lt=end).count()


def reports_on_time(start, end) -> Decimal | None:
    """Of every year the programme ran (some authorization in force) whose deadline (31 March)
    passed before `end`: the yearly operating report and each party's disclosure, the share
    filed or published by the deadline."""

    last_day = timezone.localdate(end - timedelta(microseconds=1))
    due = on_time = 0
    for year in disclosures.years_due(last_day):
        expected = disclosures.parties(year)
        if not expected:
            continue
        deadline = disclosures.deadline(year)
        report = AnnualReport.objects.filter(year=year).first()
        due += 1 + len(expected)
        on_time += bool(report and report.filed_at and report.filed_at < deadline)
        on_time += sum(1 for _o, published in expected if published and published < deadline)
    return _rate(on_time, due)


def typical_scenarios(start, end) -> int:
    return Nomination.objects.filter(status="confirmed", decided_at__lt=end).count()


def national_cases(start, end) -> int:
    return Nomination.objects.filter(status="confirmed", packaged_at__lt=end).count()


def firms_cultivated(start, end) -> int:
    return (
        FirmApplication.objects.filter(status="verified", decided_at__lt=end)
        .values("organisation_id")
        .distinct()
        .count()
    )


SUPPLY, PRODUCTS, USE = _("数据供给"), _("数据产品"), _("开发利用")
FINANCE, SECURITY, COMPLIANCE, TARGETS = _("收益"), _("安全"), _("合规报送"), _("年度目标")

KPIS = [
    Kpi("authorizations", SUPPLY, _("在期授权"),
        _("月末仍在授权期限内、未启动退出的授权数（按授权记录的生效与到期日期）。"),
        _("项"), authorizations_in_force, _url("authorization:authorization_list")),
    Kpi("resources", SUPPLY, _("已授权数据资源"),
        _("月末在期授权的数据需求清单所涉及的不同数据资源数。"),
        _("个"), resources_authorized, _url("catalogue:resource_list")),
    Kpi("registration", SUPPLY, _("授权资源登记覆盖率"),
        _("已授权数据资源中，月末前已确认公共数据资源登记的比例。"),
        "%", registration_coverage, _url("catalogue:resource_list")),
    Kpi("updates", SUPPLY, _("数据按时更新率"),
        _("已授权数据资源中（不定期更新的除外），月末最近一次归集未超过其更新频率允许间隔的比例。"),
        "%", updates_on_time, _url("catalogue:resource_list")),
    Kpi("quality", SUPPLY, _("数据质检通过率"),
        _("月末前归集的数据版本中，全部质量规则通过的比例（无质量规则的版本不计）。"),
        "%", quality_pass_rate, _url("catalogue:resource_list")),
    Kpi("filed", PRODUCTS, _("已备案数据产品"),
        _("月末前通过合规审查并取得备案编号的数据产品累计数。"),
        _("个"), products_filed, _url("products:market")),
    Kpi("listed", PRODUCTS, _("在架数据产品"),
        _("月末前上架且当前仍在架的数据产品数（平台只保存产品的当前状态）。"),
        _("个"), products_listed, _url("products:market")),
    Kpi("filed_public", PRODUCTS, _("公益类产品"),
        _("已备案数据产品中用途为公益的产品数（免费提供）。"),
        _("个"), products_filed_public, _url("products:market")),
    Kpi("filed_industry", PRODUCTS, _("产业类产品"),
        _("已备案数据产品中用途为产业的产品数（可在上限收费标准内收费）。"),
        _("个"), products_filed_industry, _url("products:market")),
    Kpi("calls", USE, _("当月成功调用"),
        _("当月经网关成功应答的调用与报告下载次数（交付记录，HTTP 200）。"),
        _("次"), calls, _url("products:deliveries", outcome="answered", within="created")),
    Kpi("consumers", USE, _("当月使用单位"),
        _("当月至少有一次成功交付的不同数据使用方数。"),
        _("家"), consumers, _url("products:deliveries", outcome="answered", within="created")),
    Kpi("in_production", USE, _("在用应用场景"),
        _("当月至少有一次成功交付的应用场景数（一场景一授权）。"),
        _("个"), scenarios_in_production, _url("showcase:scenarios")),
    Kpi("revenue", FINANCE, _("当月产品收益"),
        _("当月计费的收益行合计（元），由收益台账按交付记录计算。"),
        _("元"), revenue, _url("finance:overview")),
    Kpi("remitted", FINANCE, _("累计上缴"),
        _("月末前财政部门已确认收讫的上缴金额累计（元）。"),
        _("元"), remitted, _url("finance:overview")),
    Kpi("incidents", SECURITY, _("当月安全事件"),
        _("当月开立的安全事件数。"),
        _("起"), incidents, _url("supervision:incident_list", within="opened")),
    Kpi("findings", SECURITY, _("抽查问题整改率"),
        _("月末前复核为不合规的抽查样本中，其安全事件已结案的比例。"),
        "%", findings_closed, _url("supervision:spotcheck_list")),
    Kpi("actions", SECURITY, _("当月应急处置"),
        _("当月采取的应急处置措施数（暂停授权、冻结产品、停用凭证等）。"),
        _("次"), emergency_actions, _url("supervision:action_list", within="taken")),
    Kpi("on_time", COMPLIANCE, _("年度报告与信息披露按时率"),
        _("月末前已到期（次年 3 月 31 日）的年度经营报告和各方年度信息披露中，"
          "按期报送或公开的比例。"),
        "%", reports_on_time, _url("showcase:disclosures")),
    Kpi("typical", TARGETS, _("市级典型场景"),
        _("工作专班认定的市级典型应用场景累计数。"),
        _("个"), typical_scenarios, _url("showcase:home"), target=10, short=_("典型场景")),
    Kpi("national", TARGETS, _("国家级“数据要素×”案例"),
        _("已生成申报材料、报送国家“数据要素×”典型案例的市级典型场景数。"),
        _("个"), national_cases, _url("showcase:home"), target=1, short=_("国家级案例")),
    Kpi("firms", TARGETS, _("培育数据商和第三方专业服务机构"),
        _("经市数据局核验入库的数据商和第三方专业服务机构数。"),
        _("家"), firms_cultivated, _url("market:firms"), target=2, short=_("服务机构")),
]  # fmt: skip
BY_KEY = {k.key: k for k in KPIS}


# --- Keeping them -------------------------------------------------------------------------------


def compute(month: str) -> dict[str, Decimal | None]:
    start, end = month_bounds(month)
    values = {}
    for kpi in KPIS:
        value = kpi.compute(start, end)
        values[kpi.key] = None if value is None else Decimal(value)
    return values


@transaction.atomic
def record_month(month: str) -> dict[str, Decimal | None]:
    """Compute `month`'s figures and keep them (replacing earlier ones of that month)."""

    values = compute(month)
    now = timezone.now()
    for key, value in values.items():
        KpiValue.objects.update_or_create(
            month=month, key=key, defaults={"value": value, "computed_at": now}
        )
    return values


def recompute(today: date | None = None) -> list[str]:
    """The scheduler's work: this month so far, and last month once it has ended."""
    today = today or timezone.localdate()
    this = month_of(today)
    last = months_back(this, 2)[0]
    record_month(last)
    record_month(this)
    return [last, this]


def series(months: list[str]) -> dict[str, dict[str, Decimal | None]]:
    """Kept values by key and month (a month not kept is missing)."""

    out: dict[str, dict[str, Decimal | None]] = {k.key: {} for k in KPIS}
    for row in KpiValue.objects.filter(month__in=months):
        if row.key in out:
            out[row.key][row.month] = row.value
    return out


def forecast(points: list[tuple[str, Decimal]], deadline: date = DEADLINE) -> Decimal | None:
    """The last of `points` (month, value) carried to `deadline`'s month along the slope of
    their least-squares line; never below the last value."""
    if not points:
        return None
    last_month, last = points[-1]
    if len(points) == 1:
        return Decimal(last)

    def index(month: str) -> int:
        year, number = (int(p) for p in month.split("-"))
        return year * 12 + number

    xs = [Decimal(index(m)) for m, _v in points]
    ys = [Decimal(v) for _m, v in points]
    n = Decimal(len(points))
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    left = max(0, index(month_of(deadline)) - index(last_month))
    value = Decimal(last) + slope * left
    return max(value, Decimal(last)).quantize(TENTH, rounding=ROUND_HALF_UP)


def progress(today: date | None = None) -> list[dict]:
    """Each target's figure now, its forecast at the deadline and whether it is on track."""
    today = today or timezone.localdate()
    months = months_back(month_of(today), 6)
    kept = series(months)
    start, end = month_bounds(month_of(today))
    rows = []
    for kpi in (k for k in KPIS if k.target is not None):
        now = Decimal(kpi.compute(start, end))
        points = [(m, kept[kpi.key][m]) for m in months[:-1] if kept[kpi.key].get(m) is not None]
        points.append((months[-1], now))
        projected = forecast(points)
        rows.append(
            {
                "kpi": kpi,
                "value": now,
                "target": kpi.target,
                "forecast": projected,
                "met": now >= kpi.target,
                "on_track": projected is not None and projected >= kpi.target,
                "url": kpi.url(*days_of(today)),
            }
        )
    return rows
