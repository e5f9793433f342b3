"""Roles and permissions: permissions are an enum, each role lists the permissions it holds.

A user holds roles within their organisation (`pdao.accounts.models.RoleGrant`); what a user may
do is the union of their roles' permissions. Views and API handlers declare the one permission
they need with `pdao.core.access.requires`; templates ask `perms.<app>.<action>` (the role
backend answers Django's `has_perm`).

Later pillars add their permissions here and grant them to roles in `ROLE_PERMISSIONS`.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """角色 — the roles of DESIGN.md, each scoped to the holder's organisation."""

    BUREAU_ADMIN = "bureau_admin", _("数据局管理员")
    SUPERVISOR = "supervisor", _("安全监管员")
    PROVIDER = "provider", _("数据提供单位")
    OPERATOR = "operator", _("数据运营单位")
    CONSUMER = "consumer", _("数据使用方")
    FINANCE = "finance", _("财政部门")
    INDUSTRY_LEAD = "industry_lead", _("行业主管部门")
    REVIEWER = "reviewer", _("评审专家")
    TASKFORCE = "taskforce", _("工作专班")


class Perm(StrEnum):
    """One permission a view, endpoint or service checks. Values are `<app>.<action>`."""

    ORGANISATIONS_VIEW = "accounts.view_organisations"
    """See organisations: everyone sees their own; see-all widens it to the whole platform."""
    ORGANISATIONS_VIEW_ALL = "accounts.view_all_organisations"
    ORGANISATIONS_MANAGE = "accounts.manage_organisations"
    USERS_MANAGE = "accounts.manage_users"
    AUDIT_VIEW = "audit.view_events"
    AUDIT_EXPORT = "audit.export_events"
    CATALOGUE_VIEW = "catalogue.view_resources"
    """Read the catalogue's metadata (never data)."""
    CATALOGUE_SUPPLY = "catalogue.supply"
    """Register own department's resources and upload their versions (谁提供谁负责)."""
    CATALOGUE_GRADE = "catalogue.review_grading"
    """Approve or return a resource's classification and grade (the data bureau)."""
    REGISTRATION_DECIDE = "catalogue.decide_registrations"
    """Publish registrations, answer objections, confirm or reject (the data bureau)."""
    DEMAND_SCHEDULE = "catalogue.schedule_demands"
    """Schedule providers to meet data demands, and close demands (the data bureau)."""
    AUTHZ_APPLY = "authorization.apply"
    """Keep the own organisation's qualification profile and file applications (operators)."""
    AUTHZ_VIEW_ALL = "authorization.view_all"
    """See every application, agreement and authorization (bureau, supervisor, taskforce)."""
    AUTHZ_DECIDE = "authorization.decide"
    """Accept, assess, open notice, decide, sign for the city, verify qualifications, set caps
    and qualification rules, lift suspensions (the data bureau, 实施机构)."""
    AUTHZ_OPINE = "authorization.give_opinion"
    """Give the providing department's opinion on applications that request its data."""
    AUTHZ_SCORE = "authorization.score"
    """Score applications as an expert (never one's own organisation's)."""
    AUTHZ_SUSPEND = "authorization.suspend"
    """Suspend an authorization at once (bureau, and the supervisor in an emergency)."""
    PRODUCT_MANAGE = "products.manage"
    """Build the own organisation's products on its authorizations, price, list and delist them."""
    PRODUCT_REVIEW = "products.review"
    """Sign a product's compliance review as an expert or third-party assessor."""
    PRODUCT_SUPERVISE = "products.supervise"
    """Sign compliance reviews for security, see every delivery, trace leaks, revoke credentials
    (the information centre)."""
    PRODUCT_REGULATE = "products.regulate"
    """Set price caps (上限收费标准) and delist any product (the data bureau)."""
    PRODUCT_VIEW_ALL = "products.view_all"
    """See every product in any state and its reviews (bureau, supervisor, taskforce)."""
    PRODUCT_SUBSCRIBE = "products.subscribe"
    """Subscribe the own organisation to products, keep its credentials, see its deliveries."""
    SUPERVISION_VIEW = "supervision.view_alerts"
    """See monitoring alerts and rules (supervisor, bureau, taskforce)."""
    SUPERVISION_MANAGE = "supervision.manage"
    """Handle alerts and configure monitoring rules (the information centre)."""
    LEDGER_VIEW = "ledger.view_entries"
    """Read ledger entries, proofs and receipts: every participant may audit the ledger."""
    LEDGER_MANAGE = "ledger.manage"
    """Publish a checkpoint on demand and run a full verification."""
    FINANCE_VIEW = "finance.view_all"
    """See every operator's pricing periods, cost surveys, allowances and revenue (bureau,
    finance bureau, taskforce)."""
    FINANCE_REGULATE = "finance.regulate"
    """Set the price mechanism's dated limits and bond yields, open pricing periods, review cost
    surveys, propose allowances and record their approval (the data bureau)."""
    FINANCE_DECLARE = "finance.declare"
    """Declare the own organisation's costs in its cost surveys and record its remittances'
    payments (operators)."""
    FINANCE_COLLECT = "finance.collect"
    """Set the account remittances are paid into, issue 缴款通知, confirm receipt, chase overdue
    remittances and record how remitted revenue is budgeted (the finance bureau)."""

    SHOWCASE_VIEW = "showcase.view_all"
    """See every scenario of the registry with its nominations and scores (bureau, supervisor,
    taskforce, industry departments)."""
    SHOWCASE_NOMINATE = "showcase.nominate"
    """Nominate scenarios of the own department's domains as typical (行业主管部门)."""
    SHOWCASE_SCORE = "showcase.score"
    """Score nominated scenarios as an expert (never one's own organisation's)."""
    SHOWCASE_MANAGE = "showcase.manage"
    """Set the scoring criteria and the departments' domains, confirm typical scenarios and
    package them for the national call (the taskforce, 工作专班)."""

    @property
    def app_label(self) -> str:
        return self.value.split(".", 1)[0]


_EVERY_ROLE = frozenset({Perm.ORGANISATIONS_VIEW, Perm.LEDGER_VIEW, Perm.CATALOGUE_VIEW})

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.BUREAU_ADMIN: _EVERY_ROLE
    | {
        Perm.ORGANISATIONS_VIEW_ALL,
        Perm.ORGANISATIONS_MANAGE,
        Perm.USERS_MANAGE,
        Perm.AUDIT_VIEW,
        Perm.AUDIT_EXPORT,
        Perm.LEDGER_MANAGE,
        Perm.CATALOGUE_GRADE,
        Perm.REGISTRATION_DECIDE,
        Perm.DEMAND_SCHEDULE,
        Perm.AUTHZ_VIEW_ALL,
        Perm.AUTHZ_DECIDE,
        Perm.AUTHZ_SUSPEND,
        Perm.PRODUCT_REGULATE,
        Perm.PRODUCT_VIEW_ALL,
        Perm.SUPERVISION_VIEW,
        Perm.FINANCE_VIEW,
        Perm.FINANCE_REGULATE,
        Perm.SHOWCASE_VIEW,
    },
    Role.SUPERVISOR: _EVERY_ROLE
    | {
        Perm.ORGANISATIONS_VIEW_ALL,
        Perm.AUDIT_VIEW,
        Perm.AUDIT_EXPORT,
        Perm.LEDGER_MANAGE,
        Perm.AUTHZ_VIEW_ALL,
        Perm.AUTHZ_SUSPEND,
        Perm.PRODUCT_SUPERVISE,
        Perm.PRODUCT_VIEW_ALL,
        Perm.SUPERVISION_VIEW,
        Perm.SUPERVISION_MANAGE,
        Perm.SHOWCASE_VIEW,
    },
    Role.PROVIDER: _EVERY_ROLE | {Perm.CATALOGUE_SUPPLY, Perm.AUTHZ_OPINE},
    Role.OPERATOR: _EVERY_ROLE | {Perm.AUTHZ_APPLY, Perm.PRODUCT_MANAGE, Perm.FINANCE_DECLARE},
    Role.CONSUMER: _EVERY_ROLE | {Perm.PRODUCT_SUBSCRIBE},
    Role.FINANCE: _EVERY_ROLE | {Perm.FINANCE_VIEW, Perm.FINANCE_COLLECT},
    Role.INDUSTRY_LEAD: _EVERY_ROLE | {Perm.SHOWCASE_VIEW, Perm.SHOWCASE_NOMINATE},
    Role.REVIEWER: _EVERY_ROLE | {Perm.AUTHZ_SCORE, Perm.PRODUCT_REVIEW, Perm.SHOWCASE_SCORE},
    Role.TASKFORCE: _EVERY_ROLE
    | {
        Perm.ORGANISATIONS_VIEW_ALL,
        Perm.AUTHZ_VIEW_ALL,
        Perm.PRODUCT_VIEW_ALL,
        Perm.SUPERVISION_VIEW,
        Perm.FINANCE_VIEW,
        Perm.SHOWCASE_VIEW,
        Perm.SHOWCASE_MANAGE,
    },
}


def permissions_of(roles) -> frozenset[Perm]:
    """The union of the permissions of `roles` (Role members or their string values)."""
    held: set[Perm] = set()
    for role in roles:
        held |= ROLE_PERMISSIONS[Role(role)]
    return frozenset(held)
