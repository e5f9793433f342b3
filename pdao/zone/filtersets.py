"""Filters of the zone's query log (pdao.core.lists). The export carries the record of each
query — who, under which authorization, in which form, the decision and its rule — never its
SQL text or result."""

import django_filters
from django.utils.translation import gettext_lazy as _

from pdao.authorization.choices import OutputForm
from pdao.authorization.models import Authorization
from pdao.core.lists import Column, DateRange, Day, FilterSet
from pdao.zone.models import ZoneQuery


class QueryFilter(FilterSet):
    decision = django_filters.ChoiceFilter(
        label=_("结果"), choices=ZoneQuery.Decision.choices, empty_label=_("全部结果")
    )
    form = django_filters.ChoiceFilter(
        label=_("输出形式"), choices=OutputForm.choices, empty_label=_("全部形式")
    )
    authorization = django_filters.ModelChoiceFilter(
        label=_("授权"), queryset=Authorization.objects.none(), empty_label=_("全部授权")
    )
    date = Day(label=_("日期"), field_name="created_at")
    created = DateRange(label=_("时间范围"), field_name="created_at")

    class Meta:
        model = ZoneQuery
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the supervisors' log: every authorization, from its own small table
        self.offer("authorization", Authorization.objects.order_by("code"))
        if "authorization" in self.form.fields:
            self.form.fields["authorization"].label_from_instance = lambda a: a.code


QUERY_COLUMNS = [
    Column(_("时间"), lambda q: q.created_at),
    Column(_("授权编号"), lambda q: q.authorization.code),
    Column(_("用户"), lambda q: str(q.user) if q.user else ""),
    Column(_("输出形式"), lambda q: q.get_form_display()),
    Column(_("结果"), lambda q: q.get_decision_display()),
    Column(_("规则"), lambda q: q.rule_label if q.rule else ""),
    Column(_("规则代码"), lambda q: q.rule),
    Column(_("使用的列"), lambda q: "、".join(q.columns)),
    Column(_("扫描行数"), lambda q: q.rows_scanned),
    Column(_("输出行数"), lambda q: q.rows_released),
    Column(_("抑制单元格"), lambda q: q.suppressed_cells),
    Column(_("消耗 ε"), lambda q: q.epsilon_spent),
    Column(_("耗时（秒）"), lambda q: q.seconds),
]
