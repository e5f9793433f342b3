"""Filters of the supervision pillar's working lists (pdao.core.lists)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from pdao.core.lists import Column, DateRange, Day, FilterSet, Month
from pdao.products.models import Product
from pdao.supervision.choices import OPEN_STATUSES, AlertStatus, Severity
from pdao.supervision.models import Alert, EmergencyAction, Incident, MonitoringRule, SpotCheck


class AlertFilter(FilterSet):
    """监测告警: open alerts unless another status is chosen."""

    defaults = {"status": "open"}

    status = django_filters.ChoiceFilter(
        label=_("状态"),
        choices=[("open", _("未处理")), ("all", _("全部")), *AlertStatus.choices],
        method="by_status",
        empty_label=None,
    )
    severity = django_filters.ChoiceFilter(
        label=_("级别"), choices=Severity.choices, empty_label=_("全部级别")
    )
    rule = django_filters.ModelChoiceFilter(
        label=_("规则"), queryset=MonitoringRule.objects.all(), empty_label=_("全部规则")
    )
    date = Day(label=_("发现日期"), field_name="first_seen")
    seen = DateRange(label=_("发现时间范围"), field_name="first_seen")

    class Meta:
        model = Alert
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["rule"].label_from_instance = lambda rule: rule.label

    def by_status(self, rows, name, value):
        if value == "open":
            return rows.filter(status__in=OPEN_STATUSES)
        if value in AlertStatus.values:
            return rows.filter(status=value)
        return rows


ALERT_COLUMNS = [
    Column(_("级别"), lambda a: a.get_severity_display()),
    Column(_("规则"), lambda a: a.rule.label),
    Column(_("告警内容"), lambda a: a.title),
    Column(_("对象"), lambda a: a.subject),
    Column(_("触发次数"), lambda a: a.count),
    Column(_("首次发现"), lambda a: a.first_seen),
    Column(_("最近发现"), lambda a: a.last_seen),
    Column(_("状态"), lambda a: a.get_status_display()),
]


class IncidentFilter(FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=Incident.Status.choices, empty_label=_("全部")
    )
    severity = django_filters.ChoiceFilter(
        label=_("级别"), choices=Severity.choices, empty_label=_("全部级别")
    )
    month = Month(label=_("开立月份"), field_name="opened_at")
    opened = DateRange(label=_("开立时间范围"), field_name="opened_at")

    class Meta:
        model = Incident
        fields = []


INCIDENT_COLUMNS = [
    Column(_("事件编号"), lambda i: i.code),
    Column(_("事件名称"), lambda i: i.title),
    Column(_("级别"), lambda i: i.get_severity_display()),
    Column(_("开立时间"), lambda i: i.opened_at),
    Column(_("开立人"), lambda i: str(i.opened_by)),
    Column(_("状态"), lambda i: i.get_status_display()),
    Column(_("结案时间"), lambda i: i.closed_at),
]


class ActionFilter(FilterSet):
    in_force = django_filters.ChoiceFilter(
        label=_("状态"),
        choices=[("yes", _("生效中")), ("no", _("已解除"))],
        method="by_force",
        empty_label=_("全部"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("处置措施"), choices=EmergencyAction.Kind.choices, empty_label=_("全部措施")
    )
    target = django_filters.CharFilter(label=_("对象"), lookup_expr="icontains", max_length=100)
    taken = DateRange(label=_("处置时间范围"), field_name="taken_at")

    class Meta:
        model = EmergencyAction
        fields = []

    def by_force(self, rows, name, value):
        return rows.filter(lifted_at__isnull=(value == "yes"))


ACTION_COLUMNS = [
    Column(_("处置时间"), lambda a: a.taken_at),
    Column(_("处置措施"), lambda a: a.get_kind_display()),
    Column(_("对象"), lambda a: a.target),
    Column(_("理由"), lambda a: a.reason),
    Column(_("处置人"), lambda a: str(a.taken_by)),
    Column(_("解除时间"), lambda a: a.lifted_at),
    Column(_("解除人"), lambda a: str(a.lifted_by) if a.lifted_by else ""),
    Column(_("解除理由"), lambda a: a.lift_reason),
]


class SpotCheckFilter(FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=SpotCheck.Status.choices, empty_label=_("全部")
    )
    product = django_filters.ModelChoiceFilter(
        label=_("产品"),
        queryset=Product.objects.filter(pk__in=SpotCheck.objects.values("product_id")).order_by(
            "code"
        ),
        empty_label=_("全部产品"),
    )
    created = DateRange(label=_("抽样时间范围"), field_name="created_at")

    class Meta:
        model = SpotCheck
        fields = []


SPOTCHECK_COLUMNS = [
    Column(_("抽查编号"), lambda c: c.code),
    Column(_("抽查名称"), lambda c: c.title),
    Column(_("期间起"), lambda c: c.period_start),
    Column(_("期间止"), lambda c: c.period_end),
    Column(_("产品"), lambda c: str(c.product) if c.product else ""),
    Column(_("总体数量"), lambda c: c.population),
    Column(_("样本量"), lambda c: c.drawn),
    Column(_("状态"), lambda c: c.get_status_display()),
    Column(_("抽样时间"), lambda c: c.created_at),
]
