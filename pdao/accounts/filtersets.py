"""Filters of the accounts pillar's working lists (pdao.core.lists)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation, User
from pdao.core.lists import Column, FilterSet
from pdao.core.permissions import Role


class OrganisationFilter(FilterSet):
    q = django_filters.CharFilter(label=_("名称或信用代码"), method="by_text", max_length=100)
    type = django_filters.ChoiceFilter(
        label=_("类型"), choices=OrganisationType.choices, empty_label=_("全部")
    )
    verified = django_filters.ChoiceFilter(
        label=_("核验状态"),
        choices=[("yes", _("已核验")), ("no", _("待核验"))],
        method="by_verified",
        empty_label=_("全部"),
    )

    class Meta:
        model = Organisation
        fields = []

    def by_text(self, rows, name, value):
        return rows.filter(Q(name__icontains=value) | Q(credit_code__icontains=value))

    def by_verified(self, rows, name, value):
        return rows.filter(verified_at__isnull=(value == "no"))


ORGANISATION_COLUMNS = [
    Column(_("名称"), lambda o: o.name),
    Column(_("类型"), lambda o: o.get_type_display()),
    Column(_("统一社会信用代码"), lambda o: o.credit_code),
    Column(_("成员"), lambda o: o.member_count),
    Column(_("核验时间"), lambda o: o.verified_at),
    Column(_("状态"), lambda o: _("已停用") if not o.is_active else _("正常")),
]


class UserFilter(FilterSet):
    q = django_filters.CharFilter(label=_("用户名、姓名或组织"), method="by_text", max_length=100)
    role = django_filters.ChoiceFilter(
        label=_("角色"), choices=Role.choices, method="by_role", empty_label=_("全部角色")
    )
    active = django_filters.ChoiceFilter(
        label=_("状态"),
        choices=[("yes", _("正常")), ("no", _("已停用"))],
        method="by_active",
        empty_label=_("全部"),
    )

    class Meta:
        model = User
        fields = []

    def by_text(self, rows, name, value):
        return rows.filter(
            Q(username__icontains=value)
            | Q(display_name__icontains=value)
            | Q(organisation__name__icontains=value)
        )

    def by_role(self, rows, name, value):
        return rows.filter(role_grants__role=value).distinct()

    def by_active(self, rows, name, value):
        return rows.filter(is_active=(value == "yes"))


USER_COLUMNS = [
    Column(_("用户名"), lambda u: u.username),
    Column(_("姓名"), lambda u: u.display_name),
    Column(_("组织"), lambda u: u.organisation.name if u.organisation else ""),
    Column(_("角色"), lambda u: "、".join(str(g.get_role_display()) for g in u.role_grants.all())),
    Column(_("状态"), lambda u: _("正常") if u.is_active else _("已停用")),
    Column(_("最近登录"), lambda u: u.last_login),
]
