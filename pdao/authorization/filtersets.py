"""Filters of the authorization pillar's working lists (pdao.core.lists)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from pdao.authorization.choices import (
    ApplicationStatus,
    AuthorizationStatus,
    Purpose,
    QualificationStatus,
)
from pdao.authorization.models import Application, Authorization, Qualification
from pdao.catalogue.choices import Domain
from pdao.core.lists import ByOperator, Column, DateRange, FilterSet


class ApplicationFilter(ByOperator):
    q = django_filters.CharFilter(label=_("编号或场景"), method="by_text", max_length=100)
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=ApplicationStatus.choices, empty_label=_("全部状态")
    )
    domain = django_filters.ChoiceFilter(
        label=_("领域"), choices=Domain.choices, empty_label=_("全部领域")
    )
    purpose = django_filters.ChoiceFilter(
        label=_("用途类别"), choices=Purpose.choices, empty_label=_("全部用途")
    )
    submitted = DateRange(label=_("提交时间范围"), field_name="submitted_at")

    class Meta:
        model = Application
        fields = []

    def by_text(self, rows, name, value):
        return rows.filter(code__icontains=value) | rows.filter(scenario__icontains=value)


APPLICATION_COLUMNS = [
    Column(_("申请编号"), lambda a: a.code),
    Column(_("场景名称"), lambda a: a.scenario),
    Column(_("运营单位"), lambda a: a.operator.name),
    Column(_("领域"), lambda a: a.get_domain_display()),
    Column(_("用途类别"), lambda a: a.get_purpose_display()),
    Column(_("状态"), lambda a: a.get_status_display()),
    Column(_("提交时间"), lambda a: a.submitted_at),
    Column(_("本环节办理时限"), lambda a: a.step_deadline),
]


class AuthorizationFilter(ByOperator):
    q = django_filters.CharFilter(label=_("编号或场景"), method="by_text", max_length=100)
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=AuthorizationStatus.choices, empty_label=_("全部状态")
    )
    ends = DateRange(label=_("到期日期范围"), field_name="ends_on")

    class Meta:
        model = Authorization
        fields = []

    def by_text(self, rows, name, value):
        return rows.filter(code__icontains=value) | rows.filter(
            application__scenario__icontains=value
        )


AUTHORIZATION_COLUMNS = [
    Column(_("授权编号"), lambda a: a.code),
    Column(_("场景名称"), lambda a: a.application.scenario),
    Column(_("运营单位"), lambda a: a.operator.name),
    Column(_("生效日期"), lambda a: a.starts_on),
    Column(_("到期日期"), lambda a: a.ends_on),
    Column(_("状态"), lambda a: a.get_status_display()),
    Column(_("每日查询上限"), lambda a: a.daily_queries),
    Column(_("每月调用配额"), lambda a: a.monthly_calls),
]


class QualificationFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("运营单位"),
        field_name="organisation__name",
        lookup_expr="icontains",
        max_length=100,
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=QualificationStatus.choices, empty_label=_("全部状态")
    )

    class Meta:
        model = Qualification
        fields = []


QUALIFICATION_COLUMNS = [
    Column(_("运营单位"), lambda q: q.organisation.name),
    Column(_("等保级别"), lambda q: q.dengbao_level or None),
    Column(_("等保测评有效期至"), lambda q: q.dengbao_expires),
    Column(_("DCMM 等级"), lambda q: q.dcmm_level or None),
    Column(_("DSMM 等级"), lambda q: q.dsmm_level or None),
    Column(_("ISO/IEC 27001 认证"), lambda q: q.iso27001),
    Column(_("有效期至"), lambda q: q.valid_until),
    Column(_("状态"), lambda q: q.get_status_display()),
    Column(_("核验时间"), lambda q: q.verified_at),
]
