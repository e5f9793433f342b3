"""监管驾驶舱: the figures of the supervision dashboard, each value carrying the link to the
records behind it (the page draws them with ECharts and lists them in tables, so every figure
can be opened with or without JavaScript).

A figure is {"id", "title", "kind": bar | line | pie | hbar, "series": [{"name", "points":
[{"label", "value", "url"}]}]}; the page turns it into an ECharts option and a table.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization
from pdao.products.models import Delivery
from pdao.supervision.choices import OPEN_STATUSES, Severity
from pdao.supervision.models import Alert, EmergencyAction, Incident, SpotCheck
from pdao.zone.models import ZoneQuery

DAYS = 30
TOP = 10
MONTHS = 6


def _url(name: str, args=(), **query) -> str:
    url = reverse(name, args=args)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def _point(label, value, url: str) -> dict:
    return {"label": str(label), "value": value, "url": url}


def figures(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    since = timezone.make_aware(datetime.combine(days[0], time.min))
    return {
        "cards": _cards(since),
        "figures": [
            _tabled(figure)
            for figure in (
                _alerts_by_severity(),
                _activity(days, since),
                _top(since, "consumer"),
                _top(since, "product"),
                _budget(),
                _incidents(today),
            )
        ],
        "since": days[0],
        "until": today,
    }


def _tabled(figure: dict) -> dict:
    """The figure with its table: one row per label, one cell per series."""
    labels = [p["label"] for p in figure["series"][0]["points"]] if figure["series"] else []
    rows = [
        {"label": label, "points": [s["points"][i] for s in figure["series"]]}
        for i, label in enumerate(labels)
    ]
    if figure["kind"] == "hbar":
        rows.reverse()  # the chart draws bottom-up; the table reads top-down, largest first
    return figure | {
        "rows": rows,
        "data_id": f"figure-{figure['id']}-data",
        "empty": _("暂无数据"),
    }


SEVERITY_COLORS = {"critical": "#b03a2e", "high": "#e67e22", "medium": "#e0b100", "low": "#95a5a6"}


def _cards(since: datetime) -> list[dict]:
    deliveries = Delivery.objects.filter(created_at__gte=since)
    return [
        {
            "label": _("未关闭告警"),
            "value": Alert.objects.filter(status__in=OPEN_STATUSES).count(),
            "url": _url("supervision:alert_list", status="open"),
            "tone": "bad",
        },
        {
            "label": _("生效中的应急处置"),
            "value": EmergencyAction.objects.filter(lifted_at__isnull=True).count(),
            "url": _url("supervision:action_list", in_force="yes"),
            "tone": "warn",
        },
        {
            "label": _("处置中的安全事件"),
            "value": Incident.objects.filter(status=Incident.Status.OPEN).count(),
            "url": _url("supervision:incident_list", status="open"),
            "tone": "warn",
        },
        {
            "label": _("复核中的样本抽查"),
            "value": SpotCheck.objects.filter(status=SpotCheck.Status.REVIEWING).count(),
            "url": _url("supervision:spotcheck_list"),
            "tone": "",
        },
        {
            "label": _("近 %(n)s 天交付") % {"n": DAYS},
            "value": deliveries.count(),
            "url": _url("products:deliveries"),
            "tone": "",
        },
        {
            "label": _("近 %(n)s 天被拒绝的调用") % {"n": DAYS},
            "value": deliveries.exclude(status=200).count(),
            "url": _url("products:deliveries", outcome="refused"),
            "tone": "",
        },
    ]


def _alerts_by_severity() -> dict:
    counts = dict(
        Alert.objects.filter(status__in=OPEN_STATUSES)
        .values_list("severity")
        .annotate(n=Count("pk"))
    )
    return {
        "id": "alerts",
        "title": _("未关闭告警（按级别）"),
        "kind": "pie",
        "series": [
            {
                "name": _("告警"),
                "points": [
                    _point(
                        label,
                        counts.get(value, 0),
                        _url("supervision:alert_list", status="open", severity=value),
                    )
                    | {"color": SEVERITY_COLORS[value]}
                    for value, label in reversed(Severity.choices)
                ],
            }
        ],
    }


def _by_day(rows, field: str, **counts) -> dict:
    """{(date, name): n} for the named filtered counts of `rows` per local day of `field`."""
    annotated = (
        rows.annotate(day=TruncDate(field, tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(**{name: Count("pk", filter=q) for name, q in counts.items()})
    )
    return {(r["day"], name): r[name] for r in annotated for name in counts}


def _activity(days: list, since: datetime) -> dict:
    answered, refused, answered_q = _("成功交付"), _("被拒绝的调用"), Q(status=200)
    deliveries = _by_day(
        Delivery.objects.filter(created_at__gte=since),
        "created_at",
        answered=answered_q,
        refused=~answered_q,
    )
    queries = _by_day(
        ZoneQuery.objects.filter(created_at__gte=since),
        "created_at",
        released=Q(decision="released"),
        refused=Q(decision="refused"),
    )
    alerts = _by_day(Alert.objects.filter(first_seen__gte=since), "first_seen", raised=Q())

    def series(name, counts, key, url_name, **query):
        return {
            "name": name,
            "points": [
                _point(
                    day.strftime("%m-%d"),
                    counts.get((day, key), 0),
                    _url(url_name, date=day.isoformat(), **query),
                )
                for day in days
            ],
        }

    return {
        "id": "activity",
        "title": _("近 %(n)s 天活动") % {"n": DAYS},
        "kind": "line",
        "series": [
            series(answered, deliveries, "answered", "products:deliveries", outcome="answered"),
            series(refused, deliveries, "refused", "products:deliveries", outcome="refused"),
            series(_("专区查询"), queries, "released", "zone:queries", decision="released"),
            series(_("被拒绝的专区查询"), queries, "refused", "zone:queries", decision="refused"),
            series(_("新告警"), alerts, "raised", "supervision:alert_list", status="all"),
        ],
    }


def _top(since: datetime, by: str) -> dict:
    rows = Delivery.objects.filter(created_at__gte=since, **{f"{by}__isnull": False})
    if by == "consumer":
        grouped = rows.values("consumer_id", name=F("consumer__name"))
        title = _("调用最多的数据使用方（近 %(n)s 天）") % {"n": DAYS}
    else:
        grouped = rows.values("product_id", "product__code", name=F("product__name"))
        title = _("调用最多的数据产品（近 %(n)s 天）") % {"n": DAYS}
    top = list(
        grouped.annotate(calls=Count("pk"), refused=Count("pk", filter=~Q(status=200))).order_by(
            "-calls"
        )[:TOP]
    )

    def url(row, **query):
        key = {"consumer": row["consumer_id"]} if by == "consumer" else {
            "product": row["product__code"]
        }  # fmt: skip
        return _url("products:deliveries", **key, **query)

    top.reverse()  # a horizontal bar chart draws the first category at the bottom
    return {
        "id": f"top-{by}",
        "title": title,
        "kind": "hbar",
        "series": [
            {
                "name": _("调用次数"),
                "points": [_point(r["name"], r["calls"], url(r)) for r in top],
            },
            {
                "name": _("被拒绝"),
                "points": [_point(r["name"], r["refused"], url(r, outcome="refused")) for r in top],
            },
        ],
    }


def _budget() -> dict:
    rows = (
        Authorization.objects.filter(status=AuthorizationStatus.ACTIVE, epsilon_total__gt=0)
        .annotate(spent=Coalesce(Sum("zone_queries__epsilon_spent"), 0.0))
        .values("pk", "code", "epsilon_total", "spent")
    )
    rows = sorted(rows, key=lambda r: r["spent"] / r["epsilon_total"], reverse=True)[:15]
    rows.reverse()

    def url(row):
        return _url("authorization:authorization_detail", args=[row["pk"]])

    return {
        "id": "budget",
        "title": _("隐私预算 ε 消耗（有效授权）"),
        "kind": "hbar",
        "stacked": True,
        "series": [
            {
                "name": _("已消耗"),
                "color": "#e67e22",
                "points": [_point(r["code"], round(r["spent"], 3), url(r)) for r in rows],
            },
            {
                "name": _("剩余"),
                "color": "#b8c7d9",
                "points": [
                    _point(r["code"], round(max(0.0, r["epsilon_total"] - r["spent"]), 3), url(r))
                    for r in rows
                ],
            },
        ],
    }


def _months(today, n: int) -> list[tuple[int, int]]:
    year, month, out = today.year, today.month, []
    for _i in range(n):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _incidents(today) -> dict:
    months = _months(today, MONTHS)
    start = datetime(*months[0], 1, tzinfo=timezone.get_current_timezone())
    counts: dict[tuple, int] = {}
    for opened_at, status in Incident.objects.filter(opened_at__gte=start).values_list(
        "opened_at", "status"
    ):
        local = timezone.localtime(opened_at)
        key = (local.year, local.month, status)
        counts[key] = counts.get(key, 0) + 1

    def series(name, status):
        return {
            "name": name,
            "points": [
                _point(f"{y}-{m:02d}", counts.get((y, m, status), 0),
                       _url("supervision:incident_list", status=status,
                            month=f"{y}-{m:02d}"))
                for y, m in months
            ],
        }  # fmt: skip

    return {
        "id": "incidents",
        "title": _("安全事件（近 %(n)s 个月开立）") % {"n": MONTHS},
        "kind": "bar",
        "stacked": True,
        "series": [
            series(Incident.Status.OPEN.label, Incident.Status.OPEN),
            series(Incident.Status.CLOSED.label, Incident.Status.CLOSED),
        ],
    }
