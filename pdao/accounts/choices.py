from django.db import models
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Role


class OrganisationType(models.TextChoices):
    """组织类型 — the kinds of organisation taking part in the programme."""

    DATA_BUREAU = "data_bureau", _("市数据局")
    INFORMATION_CENTRE = "information_centre", _("市信息中心")
    PROVIDER = "provider", _("数据提供部门")
    OPERATOR = "operator", _("数据运营单位")
    CONSUMER = "consumer", _("数据使用方")
    FINANCE_BUREAU = "finance_bureau", _("市财政局")
    INDUSTRY = "industry", _("行业主管部门")
    REVIEWER_BODY = "reviewer_body", _("评审机构")


GOVERNMENT_TYPES = frozenset(
    {
        OrganisationType.DATA_BUREAU,
        OrganisationType.INFORMATION_CENTRE,
        OrganisationType.PROVIDER,
        OrganisationType.FINANCE_BUREAU,
        OrganisationType.INDUSTRY,
    }
)

# Which roles a member of each kind of organisation may hold. Departments are often both a
# data provider and the lead of their industry (交通运输局), and any government body may second
# members to the taskforce (工作专班).
ROLES_BY_ORGANISATION_TYPE: dict[str, frozenset[Role]] = {
    OrganisationType.DATA_BUREAU: frozenset({Role.BUREAU_ADMIN, Role.TASKFORCE}),
    OrganisationType.INFORMATION_CENTRE: frozenset({Role.SUPERVISOR, Role.TASKFORCE}),
    OrganisationType.PROVIDER: frozenset({Role.PROVIDER, Role.INDUSTRY_LEAD, Role.TASKFORCE}),
    OrganisationType.INDUSTRY: frozenset({Role.INDUSTRY_LEAD, Role.PROVIDER, Role.TASKFORCE}),
    OrganisationType.FINANCE_BUREAU: frozenset({Role.FINANCE, Role.TASKFORCE}),
    # A data service firm may also be a third-party assessor whose staff review applications;
    # the review then excludes its own organisation's (conflict of interest).
    OrganisationType.OPERATOR: frozenset({Role.OPERATOR, Role.REVIEWER}),
    OrganisationType.CONSUMER: frozenset({Role.CONSUMER}),
    OrganisationType.REVIEWER_BODY: frozenset({Role.REVIEWER}),
}
