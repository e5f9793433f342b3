"""Filters of the catalogue pillar's working lists (pdao.core.lists)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from pdao.catalogue.choices import Domain
from pdao.catalogue.models import Demand
from pdao.core.lists import Column, DateRange, FilterSet


class DemandFilter(FilterSet):
    q = django_filters.CharFilter(label=_("需求名称"), field_name="title", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=Demand.Status.choices, empty_label=_("全部状态")
    )
    domain = django_filters.ChoiceFilter(
        label=_("领域"), choices=Domain.choices, empty_label=_("全部领域")
    )
    created = DateRange(label=_("提出时间范围"), field_name="created_at")

    class Meta:
        model = Demand
        fields = []


# The bureau only (the list itself is public). Never the contact, nor the tracking number: with
# the contact it is the key to a submission's progress (pdao.core.submissions).
DEMAND_COLUMNS = [
    Column(_("需求名称"), lambda d: d.title),
    Column(_("领域"), lambda d: d.get_domain_display()),
    Column(_("提出人"), lambda d: d.raised_by_name),
    Column(_("状态"), lambda d: d.get_status_display()),
    Column(_("提出时间"), lambda d: d.created_at),
]
