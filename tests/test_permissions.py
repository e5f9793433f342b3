"""Every URL, requested as every role and as an anonymous visitor.

The URL list is read from the URL configuration and the API's routers, so a new view is in this
suite the day it lands. Each view declares its rule (pdao.core.access); the expected outcome is
derived from that rule and the role's permissions:

    allowed    the view answers (status < 400, not a trip to the login page)
    hidden     allowed, but the example object is not the user's to see: 404
    forbidden  signed in without the permission: 403
    login      anonymous on a non-public page: redirect to login (HTML) or 401 (API)

A URL with parameters needs an entry in EXAMPLES saying which object to request; the suite
fails for a URL without one, or for a view without an access rule.
"""

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pdao.accounts.choices import OrganisationType
from pdao.api import api
from pdao.catalogue import services as catalogue
from pdao.catalogue.models import Version
from pdao.core.permissions import Perm, Role
from pdao.ledger import services as ledger
from tests import shared
from tests.conftest import AUTH_BACKEND
from tests.factories import OrganisationFactory, user_with_role

ANONYMOUS = None
ACTORS = [*Role, ANONYMOUS]
# ninja's own root routes: they exist only so ninja can compute paths, and always answer 404.
NOT_VIEWS = {"api:api-root", "gateway:api-root"}
# The consumer gateway authenticates OAuth2 bearer tokens, not users and roles: it has its own
# suite (tests/products/test_http.py); here every role and anonymous must get 401 from it.
TOKEN_VIEWS = {"gateway:call_product", "gateway:get_report"}


@dataclass
class World:
    users: dict[Role, object]
    subject_organisation: object
    subject_user: object
    ledger_position: int
    resource: object = None
    version: object = None
    registration: object = None
    objection: object = None
    demand: object = None
    task: object = None
    ingest_job: object = None
    authz: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)
    finance: dict = field(default_factory=dict)
    market: dict = field(default_factory=dict)
    showcase: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    kwargs: Callable[[World], dict]
    # Whether the example object is visible to `user` (given the view's rule allows them).
    visible: Callable[[object, World], bool] = lambda user, world: True
    data: dict = field(default_factory=dict)
    query: Callable[[World], str] = lambda world: ""
    data_fn: Callable[[World], dict] | None = None

    def payload(self, world) -> dict:
        return self.data_fn(world) if self.data_fn else self.data


def _sees_all_organisations(user, world) -> bool:
    return user.has_perm(Perm.ORGANISATIONS_VIEW_ALL) or (
        user.organisation_id == world.subject_organisation.pk
    )


def _supplies(user, world) -> bool:
    """Only the providing department may upload, tag and activate (谁提供谁负责)."""
    return user.organisation_id == world.subject_organisation.pk


_org = Example(kwargs=lambda w: {"pk": w.subject_organisation.pk})
_user = Example(kwargs=lambda w: {"pk": w.subject_user.pk})


def _sees_all_applications(user, world) -> bool:
    return user.has_perm(Perm.AUTHZ_VIEW_ALL)


def _never(user, world) -> bool:
    """Only the owning operator may: it is not among the actors."""
    return False


def _app(visible=lambda user, world: True, **kw) -> Example:
    return Example(kwargs=lambda w: {"pk": w.authz["application"].pk}, visible=visible, **kw)


def _authz(visible=_sees_all_applications) -> Example:
    return Example(kwargs=lambda w: {"pk": w.authz["authorization"].pk}, visible=visible,
                   data={"reason": "测试"})  # fmt: skip


def _product(visible=lambda user, world: True, **kw) -> Example:
    return Example(kwargs=lambda w: {"code": w.products["listed"].code}, visible=visible, **kw)


def _sees_finance(user, world) -> bool:
    """Finance records of the outside operator: only those who see every operator's."""
    return user.has_perm(Perm.FINANCE_VIEW)


def _finance(key: str, **kw) -> Example:
    return Example(kwargs=lambda w: {"pk": w.finance[key].pk}, **kw)


def _sees_all_products(user, world) -> bool:
    """Orders and dossiers of the outside operator: only those who see every product."""
    return user.has_perm(Perm.PRODUCT_VIEW_ALL)


def _trades(user, world) -> bool:
    return user.has_perm(Perm.PRODUCT_VIEW_ALL) or user.has_perm(Perm.PRODUCT_MANAGE)


def _order_of(**kw) -> Example:
    return Example(kwargs=lambda w: {"code": w.market["order"].code}, visible=_sees_all_products,
                   **kw)  # fmt: skip


def _listing_of(**kw) -> Example:
    return Example(kwargs=lambda w: {"code": w.market["listing"].code}, **kw)


def _captcha_key(world) -> dict:
    from captcha.models import CaptchaStore

    return {"key": CaptchaStore.generate_key()}


EXAMPLES: dict[str, Example] = {
    "captcha-image": Example(kwargs=_captcha_key),
    "accounts:organisation_detail": Example(
        kwargs=lambda w: {"pk": w.subject_organisation.pk}, visible=_sees_all_organisations
    ),
    "accounts:organisation_edit": _org,
    "accounts:organisation_verify": _org,
    "accounts:organisation_set_active": _org,
    "accounts:user_detail": _user,
    "accounts:user_grant_role": _user,
    "accounts:user_revoke_role": _user,
    "accounts:user_set_active": _user,
    "accounts:user_unlock": _user,
    "accounts:user_set_password": _user,
    "ledger:entry_detail": Example(kwargs=lambda w: {"position": w.ledger_position}),
    "ledger:entry_receipt": Example(kwargs=lambda w: {"position": w.ledger_position}),
    "api:get_entry": Example(kwargs=lambda w: {"index": w.ledger_position}),
    "api:get_receipt": Example(kwargs=lambda w: {"index": w.ledger_position}),
    "api:inclusion": Example(kwargs=lambda w: None, query=lambda w: "index=0&tree_size=1"),
    "api:consistency": Example(kwargs=lambda w: None, query=lambda w: "old_size=1&new_size=1"),
    "catalogue:resource_detail": Example(kwargs=lambda w: {"pk": w.resource.pk}),
    "catalogue:registration_submit": Example(
        kwargs=lambda w: {"pk": w.resource.pk},
        visible=_supplies,
        data={"kind": "change", "commitment_signed_by": "测试"},
    ),
    "catalogue:registration_detail": Example(kwargs=lambda w: {"pk": w.registration.pk}),
    "catalogue:registration_notice": Example(kwargs=lambda w: {"pk": w.registration.pk}),
    "catalogue:registration_decide": Example(kwargs=lambda w: {"pk": w.registration.pk}),
    "catalogue:objection_answer": Example(
        kwargs=lambda w: {"pk": w.objection.pk}, data={"response": "已核实", "upheld": ""}
    ),
    "catalogue:demand_detail": Example(kwargs=lambda w: {"pk": w.demand.pk}),
    "catalogue:demand_schedule": Example(kwargs=lambda w: {"pk": w.demand.pk}),
    "catalogue:demand_meet": Example(
        kwargs=lambda w: {"pk": w.demand.pk}, data_fn=lambda w: {"resource": w.resource.pk}
    ),
    "catalogue:task_complete": Example(
        kwargs=lambda w: {"pk": w.task.pk},
        visible=_supplies,
        data_fn=lambda w: {"resource": w.resource.pk},
    ),
    "catalogue:grading_review": Example(
        kwargs=lambda w: {"pk": w.resource.pk},
        data={"grade": "general_2", "approve": "yes", "harm_objects": ["individuals"]},
    ),
    "catalogue:version_upload": Example(kwargs=lambda w: {"pk": w.resource.pk}, visible=_supplies),
    "authorization:application_detail": _app(_sees_all_applications),
    "authorization:application_edit": _app(_never),
    "authorization:item_edit": _app(_never),
    "authorization:item_remove": Example(
        kwargs=lambda w: {"pk": w.authz["application"].pk, "item": w.authz["item"].pk},
        visible=_never,
    ),
    "authorization:application_submit": _app(_never),
    "authorization:application_withdraw": _app(_never),
    "authorization:application_accept": _app(),
    "authorization:application_return": _app(data={"reason": "测试"}),
    "authorization:application_assess": _app(),
    "authorization:close_scoring": _app(),
    "authorization:close_notice": _app(),
    "authorization:application_decide": _app(data={"approve": "no", "reason": "测试"}),
    "authorization:application_opinion": _app(_sees_all_applications),
    "authorization:application_score": _app(_sees_all_applications),
    "authorization:objection_answer": Example(
        kwargs=lambda w: {"pk": w.authz["objection"].pk}, data={"response": "已核实"}
    ),
    "authorization:agreement_detail": Example(
        kwargs=lambda w: {"pk": w.authz["agreement"].pk}, visible=_sees_all_applications
    ),
    "authorization:agreement_sign": Example(
        kwargs=lambda w: {"pk": w.authz["agreement"].pk}, visible=_sees_all_applications
    ),
    "authorization:agreement_download": Example(
        kwargs=lambda w: {"pk": w.authz["agreement"].pk, "fmt": "docx"},
        visible=_sees_all_applications,
    ),
    "authorization:authorization_detail": _authz(),
    "authorization:authorization_suspend": _authz(),
    "authorization:authorization_resume": _authz(),
    "authorization:authorization_revoke": _authz(),
    "authorization:authorization_renew": _authz(_never),
    "authorization:qualification_review": Example(kwargs=lambda w: {"pk": w.authz["profile"].pk}),
    "authorization:document_download": Example(
        kwargs=lambda w: {"pk": w.authz["document"].pk},
        visible=lambda user, world: user.has_perm(Perm.AUTHZ_DECIDE),
    ),
    "api:describe": Example(
        kwargs=lambda w: {"code": w.authz["authorization"].code}, visible=_never
    ),
    "api:run_query": Example(
        kwargs=lambda w: {"code": w.authz["authorization"].code},
        visible=_never,
        data={"sql": "SELECT COUNT(*) FROM 企业登记信息"},
    ),
    "zone:workspace": Example(
        kwargs=lambda w: {"code": w.authz["authorization"].code}, visible=_never
    ),
    "zone:sample": Example(
        kwargs=lambda w: {"code": w.authz["authorization"].code, "table": "企业登记信息"},
        visible=_never,
    ),
    "zone:derive": Example(
        kwargs=lambda w: {"code": w.authz["authorization"].code},
        visible=_never,
        data={"name": "x", "sql": "SELECT 1"},
    ),
    "zone:query_status": Example(
        kwargs=lambda w: {"code": w.authz["authorization"].code, "pk": w.authz["zone_query"].pk},
        visible=_never,
    ),
    "zone:query_cancel": Example(
        kwargs=lambda w: {"code": w.authz["authorization"].code, "pk": w.authz["zone_query"].pk},
        visible=_never,
    ),
    "zone:query_detail": Example(
        kwargs=lambda w: {"pk": w.authz["zone_query"].pk}, visible=_sees_all_applications
    ),
    "zone:query_download": Example(
        kwargs=lambda w: {"pk": w.authz["zone_query"].pk, "fmt": "csv"}, visible=_never
    ),
    "catalogue:ingest_job": Example(kwargs=lambda w: {"pk": w.ingest_job.pk}, visible=_supplies),
    "catalogue:ingest_retry": Example(kwargs=lambda w: {"pk": w.ingest_job.pk}, visible=_supplies),
    "catalogue:version_activate": Example(kwargs=lambda w: {"pk": w.version.pk}, visible=_supplies),
    "catalogue:field_tag": Example(
        kwargs=lambda w: {"pk": w.resource.fields.first().pk},
        visible=_supplies,
        data={"pi_kind": "none", "sensitivity": "internal"},
    ),
    "products:product_detail": Example(kwargs=lambda w: {"code": w.products["listed"].code}),
    "products:product_edit": _product(_never),
    "products:product_test": _product(_never),
    "products:product_submit": _product(_never),
    "products:product_list": _product(_never),
    "products:product_delist": _product(_never),
    "products:plan_add": _product(_never),
    "products:product_takedown": _product(data={"reason": "测试"}),
    "products:product_cap": _product(data={"cap": "1.00"}),
    "products:subscribe": _product(data={"plan": "0", "months": "12"}),
    "products:sign_reviewer": Example(
        kwargs=lambda w: {"pk": w.products["review"].pk}, data={"approved": "yes", "note": "x"}
    ),
    "products:sign_supervisor": Example(
        kwargs=lambda w: {"pk": w.products["review"].pk}, data={"approved": "yes", "note": "x"}
    ),
    "products:subscription_cancel": Example(
        kwargs=lambda w: {"code": w.products["subscription"].code}, visible=_never
    ),
    "products:credential_rotate": Example(
        kwargs=lambda w: {"pk": w.products["credential"].pk}, visible=_never
    ),
    "products:credential_revoke": Example(
        kwargs=lambda w: {"pk": w.products["credential"].pk}, visible=_never, data={"reason": "x"}
    ),
    "gateway_token": Example(
        kwargs=lambda w: {},
        data_fn=lambda w: {
            "grant_type": "client_credentials",
            "client_id": w.products["credential"].application.client_id,
            "client_secret": w.products["secret"],
        },
    ),
    "products:edition_generate": _product(_never),
    "products:edition_progress": _product(_never),
    "products:edition_download": Example(
        kwargs=lambda w: {"code": w.products["listed"].code, "fmt": "pdf"}
    ),
    "products:edition_review_reviewer": Example(
        kwargs=lambda w: {"pk": w.products["edition"].pk}, data={"approved": "yes", "note": "x"}
    ),
    "products:edition_review_supervisor": Example(
        kwargs=lambda w: {"pk": w.products["edition"].pk}, data={"approved": "yes", "note": "x"}
    ),
    "products:edition_file": Example(
        kwargs=lambda w: {"pk": w.products["edition"].pk, "fmt": "pdf"},
        visible=lambda user, w: any(
            user.has_perm(p)
            for p in (Perm.PRODUCT_REVIEW, Perm.PRODUCT_SUPERVISE, Perm.PRODUCT_VIEW_ALL)
        ),
    ),
    "supervision:incident_detail": Example(kwargs=lambda w: {"pk": w.products["incident"].pk}),
    "supervision:incident_link": Example(
        kwargs=lambda w: {"pk": w.products["incident"].pk},
        data_fn=lambda w: {"alert": w.products["alert"].pk},
    ),
    "supervision:incident_close": Example(
        kwargs=lambda w: {"pk": w.products["incident"].pk},
        data={"report": "经过、原因、处置与整改均已写明,测试结案报告足够长。"},
    ),
    "supervision:incident_export": Example(
        kwargs=lambda w: {"pk": w.products["incident"].pk, "fmt": "docx"}
    ),
    "supervision:action_lift": Example(
        kwargs=lambda w: {"pk": w.products["action"].pk}, data={"reason": "解除"}
    ),
    "supervision:spotcheck_draw": Example(
        kwargs=lambda w: {},
        data_fn=lambda w: {
            "title": "抽查",
            "date_from": str(date.today() - timedelta(days=1)),
            "date_to": str(date.today()),
            "size": "1",
        },
    ),
    "supervision:spotcheck_detail": Example(kwargs=lambda w: {"pk": w.products["spot"].pk}),
    "supervision:spotcheck_complete": Example(
        kwargs=lambda w: {"pk": w.products["spot"].pk}, data={"conclusion": "合规"}
    ),
    "supervision:spotcheck_conclude": Example(
        kwargs=lambda w: {"pk": w.products["sample"].pk},
        data={"conclusion": "compliant", "note": ""},
    ),
    "supervision:spotcheck_incident": Example(kwargs=lambda w: {"pk": w.products["sample"].pk}),
    "supervision:alert_detail": Example(kwargs=lambda w: {"pk": w.products["alert"].pk}),
    "supervision:alert_handle": Example(
        kwargs=lambda w: {"pk": w.products["alert"].pk},
        data={"status": "acknowledged", "note": "核查"},
    ),
    "supervision:rule_update": Example(
        kwargs=lambda w: {"pk": w.products["alert"].rule.pk},
        data={"enabled": "on", "severity": "high", "threshold": "5", "window_minutes": "10"},
    ),
    "finance:statement": Example(
        kwargs=lambda w: {
            "month": "2025-01",
            "side": "consumer",
            "fmt": "xlsx",
            "organisation": w.products["subscription"].consumer_id,
        },
        visible=_sees_finance,
    ),
    "finance:period_detail": _finance("period", visible=_sees_finance),
    "finance:survey_start": _finance("period", data={"year": "2026"}),
    "finance:allowance_propose": _finance(
        "period",
        data_fn=lambda w: {
            "survey": w.finance["survey"].pk,
            "year_index": "2",
            "profit_rate": "5",
            "tax": "0",
        },
    ),
    "finance:cost_declare": _finance(
        "survey",
        visible=_sees_finance,
        data={"category": "staff", "description": "人员", "amount": "10"},
    ),
    "finance:survey_submit": _finance("survey", visible=_sees_finance),
    "finance:survey_conclude": _finance("survey"),
    "finance:cost_adjust": _finance("item", data={"amount": "10", "note": "核减"}),
    "finance:evidence_upload": _finance("item", visible=_sees_finance),
    "finance:evidence_download": _finance("evidence", visible=_sees_finance),
    "finance:allowance_approve": _finance("allowance", data={"document": "柳发改价格〔2025〕1号"}),
    "finance:year_close": _finance("allowance", data={"carry_years": "1"}),
    "finance:year_respond_prices": _finance(
        "year_end", visible=_sees_finance, data={"response": "已下调两款产品的实际收费标准。"}
    ),
    "finance:year_respond_caps": _finance(
        "year_end", visible=_sees_finance, data={"response": "已下调两款产品的上限收费标准。"}
    ),
    "finance:remittance_detail": _finance("remittance", visible=_sees_finance),
    "finance:remittance_notice": Example(
        kwargs=lambda w: {"pk": w.finance["remittance"].pk, "fmt": "pdf"}, visible=_sees_finance
    ),
    "finance:remittance_pay": _finance(
        "remittance",
        visible=_sees_finance,
        data_fn=lambda w: {"paid_on": str(date.today()), "amount": "1.00", "reference": "R"},
    ),
    "finance:remittance_confirm": _finance("remittance"),
    "finance:reconcile": Example(
        kwargs=lambda w: {
            "month": "2025-01",
            "organisation": w.finance["period"].operator_id,
        },
        visible=_sees_finance,
    ),
    "finance:revenue_declare": Example(kwargs=lambda w: {"month": "2025-01"}),
    "finance:report_file": Example(kwargs=lambda w: {"year": w.finance["report"].year}),
    "finance:report_download": Example(
        kwargs=lambda w: {"year": w.finance["report"].year, "fmt": "xlsx"}
    ),
    "market:product": _product(),
    "market:specification": _product(visible=_never),
    "market:registration_submit": _product(visible=_never),
    "market:listing_create": _product(visible=_never, data={"exchange": "上海数据交易所"}),
    "market:order_place": _product(data={"plan": "x"}),
    "market:listings": Example(kwargs=lambda w: {}, visible=_trades),
    "market:orders": Example(
        kwargs=lambda w: {},
        visible=lambda u, w: _trades(u, w) or u.has_perm(Perm.PRODUCT_SUBSCRIBE),
    ),
    "market:listing_detail": _listing_of(),
    "market:listing_object": _listing_of(data={"name": "某", "contact": "x", "text": "异议"}),
    "market:listing_prepare": _listing_of(visible=_sees_all_products),
    "market:listing_advance": _listing_of(
        visible=_sees_all_products, data={"to": "listed", "number": "N-1"}
    ),
    "market:listing_regulate": _listing_of(data={"to": "suspended", "reason": "核查"}),
    "market:listing_package": _listing_of(visible=_sees_all_products),
    "market:objection_answer": Example(
        kwargs=lambda w: {"pk": w.market["objection"].pk},
        data={"response": "不成立", "upheld": "no"},
    ),
    "market:registration_decide": Example(
        kwargs=lambda w: {"pk": w.market["registration"].pk}, data={"decision": "confirm"}
    ),
    "market:order_detail": _order_of(),
    "market:order_contract": Example(
        kwargs=lambda w: {"code": w.market["order"].code, "fmt": "pdf"},
        visible=_sees_all_products,
    ),
    "market:order_sign": _order_of(),
    "market:order_pay": _order_of(data={"paid_on": "2026-01-01", "amount": "1", "reference": "R"}),
    "market:order_confirm": _order_of(),
    "market:order_accept": _order_of(),
    "market:order_dispute": _order_of(data={"reason": "x"}),
    "market:order_resolve": _order_of(data={"outcome": "stand", "resolution": "x"}),
    "market:order_cancel": _order_of(data={"reason": "x"}),
    "market:surveys": Example(
        kwargs=lambda w: {},
        visible=lambda u, w: u.has_perm(Perm.PRODUCT_VIEW_ALL) or u.has_perm(Perm.CATALOGUE_SUPPLY),
    ),
    "market:survey_detail": Example(
        kwargs=lambda w: {"code": w.market["survey"].code},
        visible=lambda u, w: u.has_perm(Perm.PRODUCT_VIEW_ALL) or u.has_perm(Perm.CATALOGUE_SUPPLY),
    ),
    "market:survey_declare": Example(
        kwargs=lambda w: {"code": w.market["survey"].code}, data={"recipient_name": "某"}
    ),
    "market:survey_template": Example(kwargs=lambda w: {"code": w.market["survey"].code}),
    "market:survey_import": Example(kwargs=lambda w: {"code": w.market["survey"].code}),
    "market:survey_return": Example(kwargs=lambda w: {"code": w.market["survey"].code}),
    "market:survey_export": Example(kwargs=lambda w: {"code": w.market["survey"].code}),
    "market:service_withdraw": Example(
        kwargs=lambda w: {"pk": w.market["service"].pk}, visible=_supplies
    ),
    "market:service_decide": Example(
        kwargs=lambda w: {"pk": w.market["service"].pk}, data={"disposition": "stop", "note": "x"}
    ),
    "market:migration_close": Example(kwargs=lambda w: {"pk": w.market["migration"].pk}),
    "market:firm_decide": Example(
        kwargs=lambda w: {"pk": w.market["firm"].pk}, data={"decision": "verify"}
    ),
    "authorization:exit_start": _authz(),
    "authorization:exits": Example(
        kwargs=lambda w: {},
        visible=lambda u, w: u.has_perm(Perm.AUTHZ_VIEW_ALL) or u.has_perm(Perm.AUTHZ_APPLY),
    ),
    **{
        f"authorization:exit_{suffix}": Example(
            kwargs=lambda w: {"pk": w.authz["exit"].pk},
            visible=_sees_all_applications,
            data={"statement": "x", "note": "x"},
        )
        for suffix in ("detail", "confirm", "sign_off")
    },
    "authorization:exit_report": Example(
        kwargs=lambda w: {"pk": w.authz["exit"].pk, "fmt": "pdf"}, visible=_never
    ),
    "showcase:disclosure_year": Example(kwargs=lambda w: {"year": 2025}),
    "showcase:disclosure_year_workbook": Example(kwargs=lambda w: {"year": 2025}),
    "showcase:disclosure": Example(kwargs=lambda w: {"pk": w.showcase["disclosure"].pk}),
    "showcase:disclosure_file": Example(
        kwargs=lambda w: {"pk": w.showcase["disclosure"].pk, "fmt": "pdf"}
    ),
    "showcase:disclosure_save": Example(
        kwargs=lambda w: {"pk": w.showcase["disclosure"].pk}, data={"contact": "x"}
    ),
    "showcase:disclosure_publish": Example(kwargs=lambda w: {"pk": w.showcase["disclosure"].pk}),
    "showcase:disclosure_mine": Example(
        kwargs=lambda w: {},
        visible=lambda u, w: (
            u.has_perm(Perm.AUTHZ_APPLY)
            or (u.has_perm(Perm.AUTHZ_DECIDE) and u.organisation.type == "data_bureau")
        ),
    ),
    "showcase:evaluations": Example(
        kwargs=lambda w: {},
        visible=lambda u, w: any(
            u.has_perm(p)
            for p in (
                Perm.SHOWCASE_MANAGE,
                Perm.AUTHZ_DECIDE,
                Perm.SHOWCASE_SCORE,
                Perm.AUTHZ_APPLY,
            )
        ),
    ),
    **{
        f"showcase:{name}": Example(
            kwargs=lambda w: {"code": w.showcase["evaluation"].code},
            visible=lambda u, w: any(
                u.has_perm(p)
                for p in (Perm.SHOWCASE_MANAGE, Perm.AUTHZ_DECIDE, Perm.SHOWCASE_SCORE)
            ),
            data={"report": "x", "comment": "x", "note": "x"},
        )
        for name in (
            "evaluation",
            "evaluation_score",
            "evaluation_conclude",
            "rectification_report",
            "rectification_accept",
        )
    },
    "showcase:report_file": Example(kwargs=lambda w: {"pk": w.showcase["report"].pk}),
    "showcase:report_download": Example(
        kwargs=lambda w: {"pk": w.showcase["report"].pk, "fmt": "pdf"}
    ),
    "showcase:scenario": Example(kwargs=lambda w: {"code": w.showcase["scenario"].code}),
    "showcase:scenario_case": Example(
        kwargs=lambda w: {"code": w.showcase["scenario"].code}, data={"outcomes": "x"}
    ),
    "showcase:scenario_image_add": Example(kwargs=lambda w: {"code": w.showcase["scenario"].code}),
    "showcase:scenario_nominate": Example(
        kwargs=lambda w: {"code": w.showcase["scenario"].code}, data={"reason": "x"}
    ),
    "showcase:scenario_image": Example(kwargs=lambda w: {"pk": w.showcase["image"].pk}),
    "showcase:scenario_image_remove": Example(kwargs=lambda w: {"pk": w.showcase["image"].pk}),
    "showcase:nominations": Example(
        kwargs=lambda w: {},
        visible=lambda u, w: u.has_perm(Perm.SHOWCASE_VIEW) or u.has_perm(Perm.SHOWCASE_SCORE),
    ),
    **{
        f"showcase:nomination{suffix}": Example(
            kwargs=lambda w: {"code": w.showcase["nomination"].code},
            visible=lambda u, w: u.has_perm(Perm.SHOWCASE_VIEW),
            data={"reason": "x", "note": "x", "comment": "x"},
        )
        for suffix in ("", "_score", "_recuse", "_withdraw", "_decide", "_package")
    },
    "showcase:nomination_package_file": Example(
        kwargs=lambda w: {"code": w.showcase["nomination"].code, "fmt": "pdf"},
        visible=_never,  # not packaged: nothing to download
    ),
    "gateway:get_report": Example(kwargs=lambda w: {"code": w.products["listed"].code}),
    "gateway:call_product": Example(kwargs=lambda w: {"code": w.products["listed"].code}),
    "api:get_organisation": Example(
        kwargs=lambda w: {"organisation_id": w.subject_organisation.pk},
        visible=_sees_all_organisations,
    ),
}


def _walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(x for x in (namespace, p.namespace) if x)
            yield from _walk(p.url_patterns, inner)
        elif isinstance(p, URLPattern):
            yield (f"{namespace}:{p.name}" if namespace else p.name), p


def _api_operations():
    """(url name, operation) for every ninja operation: their URL callbacks are ninja's own
    dispatchers, so the rule is read from the handler each operation wraps."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                yield f"api:{operation.view_func.__name__}", operation


API_NAMES = {name for name, _ in _api_operations()}
HTML_VIEWS = sorted(
    (name, p) for name, p in _walk(get_resolver().url_patterns) if name not in API_NAMES
)


def test_every_view_declares_an_access_rule():
    missing = [
        name
        for name, p in HTML_VIEWS
        if name not in NOT_VIEWS | TOKEN_VIEWS and not hasattr(p.callback, "access_rule")
    ]
    missing += [name for name, op in _api_operations() if not hasattr(op.view_func, "access_rule")]
    assert missing == [], f"views without pdao.core.access rule: {missing}"


def test_every_parameterised_url_has_an_example():
    parameterised = [name for name, p in HTML_VIEWS if p.pattern.converters]
    parameterised += [name for name, op in _api_operations() if "{" in op.path]
    missing = [name for name in parameterised if name not in EXAMPLES]
    assert missing == [], f"add these to EXAMPLES in {__file__}: {missing}"


@pytest.fixture(scope="module")
def _world_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The walk's world, built once per module (tests/shared.py): every test runs in a
    savepoint of it, so a POST one test makes is undone before the next."""
    files = tmp_path_factory.mktemp("world")
    mirror = files / "anchor" / "checkpoints.jsonl"
    with (
        override_settings(DATA_DIR=files / "data", LEDGER_MIRROR_PATH=mirror),
        shared.built_once(django_db_blocker),
    ):
        yield _build_world(), mirror


@pytest.fixture
def world(_world_once, db, settings, request) -> World:
    built, mirror = _world_once
    # The ledger's external anchor is a file: each test gets a copy of the world's.
    settings.LEDGER_MIRROR_PATH.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mirror, settings.LEDGER_MIRROR_PATH)
    return shared.for_one_test(request, built)


def _build_world() -> World:
    users = {role: user_with_role(role) for role in Role}
    subject_organisation = OrganisationFactory(name="被查看的单位", type=OrganisationType.PROVIDER)
    subject_user = user_with_role(Role.PROVIDER, organisation=subject_organisation)
    anchored = ledger.anchor(
        "organisation.create", target=subject_organisation, content_hash="0" * 64, by=None
    )
    ledger.publish_checkpoint()
    anchored.refresh_from_db()
    resource = catalogue.register_resource(
        by=subject_user,
        provider=subject_organisation,
        fields=[{"name": "企业名称", "type": "string", "label": "企业名称"}],
        name="企业登记信息",
        domain="commerce",
        sharing="conditional",
        opening="conditional",
        frequency="daily",
        grade="general_2",
    )
    version = Version.objects.create(
        resource=resource, number=1, mode="replace", status="ready", path="x.parquet",
        sha256="0" * 64, rows=1, bytes=1, source_format="csv", encoding="utf-8",
    )  # fmt: skip
    from pdao.catalogue import registration as reg

    record = reg.submit(resource, by=subject_user, kind="initial", commitment_signed_by="测试")
    reg.open_notice(record, by=users[Role.BUREAU_ADMIN])
    objection = reg.raise_objection(record, name="某", contact="x", text="异议")
    from datetime import timedelta

    from django.utils import timezone

    from pdao.catalogue import demands

    demand = demands.post_demand(by=None, name="某", contact="x", title="企业数据", description="d")
    task = demands.schedule(
        demand,
        by=users[Role.BUREAU_ADMIN],
        provider=subject_organisation,
        deadline=timezone.localdate() + timedelta(days=7),
        instructions="x",
    )
    from pdao.catalogue.models import IngestJob

    job = IngestJob.objects.create(
        resource=resource, requested_by=subject_user, mode="replace", declared_format="csv",
        filename="x.csv", staged="x.csv", bytes=1,
    )  # fmt: skip
    authz = _authorization_world(users, resource)
    products = _product_world(authz)
    return World(
        users, subject_organisation, subject_user, anchored.position, resource, version, record,
        objection, demand, task, job, authz, products, _finance_world(users, authz, products),
        _market_world(authz, products), _showcase_world(authz),
    )  # fmt: skip


def _showcase_world(authz) -> dict:
    """The outside operator's scenario confirmed as typical, with an image (built directly:
    the flows are tested in tests/showcase)."""
    from django.utils import timezone

    from pdao.core import stored
    from pdao.showcase.choices import DEFAULT_WEIGHTS
    from pdao.showcase.models import Criteria, Nomination, Scenario, ScenarioImage

    scenario = Scenario.objects.get(authorization=authz["authorization"])
    owner = authz["authorization"].application.created_by
    from tests.showcase.conftest import png

    digest = stored.store("showcase", png(), "png")
    image = ScenarioImage.objects.create(scenario=scenario, caption="图", sha256=digest, width=1,
                                         height=1, bytes=8, uploaded_by=owner)  # fmt: skip
    criteria = Criteria.objects.create(weights=DEFAULT_WEIGHTS, note="n", published_by=owner)
    nomination = Nomination.objects.create(
        code="LZ-DX-TEST-0001", scenario=scenario, criteria=criteria,
        department=owner.organisation, reason="r", nominated_by=owner, status="confirmed",
        decided_by=owner, decided_at=timezone.now(),
    )  # fmt: skip
    from pdao.showcase.models import Disclosure, Evaluation, WorkReport

    disclosure = Disclosure.objects.create(
        year=2025, organisation=owner.organisation, status="published", content={"kind": "x"},
        sha256="0" * 64, drafted_by=owner, drafted_at=timezone.now(), published_by=owner,
        published_at=timezone.now(),
    )  # fmt: skip
    evaluation = Evaluation.objects.create(
        code="LZ-PG-TEST-0001", authorization=authz["authorization"], year=2025,
        scorecard={}, quantitative=0, started_by=owner,
    )  # fmt: skip
    files = {fmt: stored.store("workreports", b"%PDF-1.4 x", fmt) for fmt in ("docx", "pdf")}
    report = WorkReport.objects.create(
        period="month", label="2026-01", docx_sha256=files["docx"], pdf_sha256=files["pdf"],
        generated_by=owner, generated_at=timezone.now(),
    )  # fmt: skip
    return {"scenario": scenario, "image": image, "nomination": nomination,
            "disclosure": disclosure, "evaluation": evaluation, "report": report}  # fmt: skip


def _market_world(authz, products) -> dict:
    """The listed product's 说明书 and confirmed registration, a listing on public notice with
    an objection, and an order of the outside consumer (built directly: the flows are tested in
    tests/market)."""
    from pdao.authorization import agreements
    from pdao.market import orders
    from pdao.market.models import (
        Listing,
        ListingObjection,
        Order,
        ProductRegistration,
        Specification,
    )  # fmt: skip

    listed, subscription = products["listed"], products["subscription"]
    owner = authz["authorization"].application.created_by
    today = date.today()
    Specification.objects.create(product=listed, data_content="d", update_frequency="monthly",
                                 use_purpose="p", use_term="t", allowed_users="u",
                                 prohibited="x", use_cases="c", delivery="api",
                                 updated_by=owner)  # fmt: skip
    registration = ProductRegistration.objects.create(
        product=listed, kind="initial", status="confirmed", code="450200-CP-2026-999999",
        valid_from=today, valid_until=today + timedelta(days=365), submitted_by=owner,
    )  # fmt: skip
    from pdao.core import stored

    package = stored.store("market", b"PK\x05\x06" + bytes(18), "zip")  # an empty zip
    listing = Listing.objects.create(code="LZ-GP-TEST-0001", product=listed, exchange="某交易所",
                                     status="notice", notice_start=today, package_sha256=package,
                                     notice_end=today + timedelta(days=5),
                                     created_by=owner)  # fmt: skip
    objection = ListingObjection.objects.create(listing=listing, raised_by_name="某",
                                                contact="x", text="异议")  # fmt: skip
    order = Order(
        code="LZ-DD-TEST-0001", product=listed, plan=subscription.plan,
        consumer=subscription.consumer, operator=listed.operator, venue="off", months=1,
        created_by=owner,
    )  # fmt: skip
    order.terms = orders.terms_of(order, listed, subscription.plan)
    order.sha256 = agreements.digest(order.terms)
    order.save()
    from pdao.market.models import ExistingService, FirmApplication, MigrationTask, ServiceSurvey

    opened = ServiceSurvey.objects.create(code="LZ-MD-TEST-0001", title="摸底",
                                          deadline=today + timedelta(days=9),
                                          opened_by=owner)  # fmt: skip
    service = ExistingService.objects.create(
        survey=opened, provider=authz["item"].resource.provider, recipient_name="某",
        recipient_credit_code="x", recipient_type="enterprise", method="api", purpose="p",
        legal_basis="b", starts_on=today, safeguards="s", fingerprint="f", created_by=owner,
    )  # fmt: skip
    included = ExistingService.objects.create(
        survey=opened, provider=authz["item"].resource.provider, recipient_name="某",
        recipient_credit_code="y", recipient_type="enterprise", method="api", purpose="p",
        legal_basis="b", starts_on=today, safeguards="s", fingerprint="g", created_by=owner,
        disposition="include",
    )  # fmt: skip
    migration = MigrationTask.objects.create(service=included, due_on=today)
    firm = FirmApplication.objects.create(organisation=listed.operator, category="merchant",
                                          qualifications="q", contact="c",
                                          submitted_by=owner)  # fmt: skip
    return {"registration": registration, "listing": listing, "objection": objection,
            "order": order, "survey": opened, "service": service, "migration": migration,
            "firm": firm}  # fmt: skip


def _finance_world(users, authz, products) -> dict:
    """The outside operator's pricing period with a survey, an approved allowance whose year
    is closed (asking for both kinds of answer), a month of revenue and a remittance (built
    directly: the flows are tested in tests/finance)."""
    from datetime import date

    from pdao.finance.models import (
        Allowance,
        BondYield,
        CostItem,
        CostSurvey,
        PricingPeriod,
        Remittance,
        RevenueLine,
        RevenueMonth,
        YearEnd,
    )  # fmt: skip

    authorization = authz["authorization"]
    operator, owner = authorization.operator, authorization.application.created_by
    period = PricingPeriod.objects.create(code="LZ-PP-TEST-0001", operator=operator,
                                          starts_on=date(2024, 1, 1), ends_on=date(2026, 12, 31),
                                          standard="formal", created_by=owner)  # fmt: skip
    survey = CostSurvey.objects.create(period=period, year=2024, created_by=owner)
    item = CostItem.objects.create(survey=survey, category="staff", description="人员",
                                   declared_fen=100_00, declared_by=owner)  # fmt: skip
    bond = BondYield.objects.create(year=2023, percent=2, source="测试", created_by=owner)
    allowance = Allowance.objects.create(
        period=period, year_index=1, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31),
        survey=survey, bond_yield=bond, markup=6, markup_document="测试", profit_rate=5,
        cost_fen=100_00, profit_fen=5_00, tax_fen=0, total_fen=105_00, proposed_by=owner,
    )  # fmt: skip
    year_end = YearEnd.objects.create(
        allowance=allowance, actual_fen=110_00, deviation="0.047619", threshold=10,
        threshold_document="测试", adjustment="operator_prices", carried_fen=5_00,
        closed_by=owner, respond_by=date(2030, 1, 1),
    )  # fmt: skip
    subscription = products["subscription"]
    RevenueLine.objects.create(
        month="2025-01", operator=operator, consumer=subscription.consumer,
        product=subscription.product, subscription=subscription, purpose="industry",
        source="calls", charging="per_call", unit_price="0.5", calls=2, quantity=2,
        amount_fen=100,
    )  # fmt: skip
    RevenueMonth.objects.create(month="2025-01", lines=1, total_fen=100)
    remittance = Remittance.objects.create(
        code="LZ-RM-TEST-0001", authorization=authorization, operator=operator, year=2025,
        quarter=1, revenue_fen=100, share_percent=10, amount_fen=10, due_on=date(2025, 5, 1),
        payee="柳州市财政局", bank="银行", account_no="1", budget_code="1", budget_name="科目",
        notice_sha256="0" * 64, issued_by=owner,
    )  # fmt: skip
    from pdao.finance import report, services

    annual = report.generate(by=users[Role.BUREAU_ADMIN], year=2024)
    services.evidence_dir().mkdir(parents=True, exist_ok=True)
    (services.evidence_dir() / ("0" * 64 + ".pdf")).write_bytes(b"%PDF-1.4")
    evidence = item.evidence.create(filename="发票.pdf", stored="0" * 64 + ".pdf",
                                    content_type="application/pdf", sha256="0" * 64, bytes=8,
                                    uploaded_by=owner)  # fmt: skip
    return {"period": period, "survey": survey, "item": item, "allowance": allowance,
            "year_end": year_end, "remittance": remittance, "report": annual,
            "evidence": evidence}  # fmt: skip


def _product_world(authz) -> dict:
    """A listed product of the outside operator, one in review, and an outside consumer's
    subscription and credential (built directly: the flows are tested in tests/products)."""
    from django.utils import timezone

    from pdao.products import services as products
    from pdao.products.models import ComplianceReview, PricePlan, Product, Subscription

    authorization = authz["authorization"]
    common = {"summary": "s", "kind": "api", "authorization": authorization,
              "operator": authorization.operator, "purpose": "industry", "form": "aggregate",
              "sql": "SELECT 1"}  # fmt: skip
    listed = Product.objects.create(code="LZ-DP-TEST-0001", name="上架产品", status="listed",
                                    filing_no="LZ-BA-TEST-0001", filed_at=timezone.now(),
                                    **common)  # fmt: skip
    plan = PricePlan.objects.create(product=listed, name="按次", charging="per_call")
    in_review = Product.objects.create(code="LZ-DP-TEST-0002", name="审查中", status="review",
                                       **common)  # fmt: skip
    owner = authorization.application.created_by
    review = ComplianceReview.objects.create(product=in_review, checks={}, submitted_by=owner)
    consumer = user_with_role(Role.CONSUMER)
    consumer.organisation.verified_at, consumer.organisation.verified_by = timezone.now(), owner
    consumer.organisation.save()
    subscription = Subscription.objects.create(
        code="LZ-SUB-TEST-0001", consumer=consumer.organisation, product=listed, plan=plan,
        starts_on=timezone.localdate(), ends_on=timezone.localdate(), created_by=consumer,
    )  # fmt: skip
    consumer.refresh_from_db()
    credential, secret = products.create_credential(by=consumer, name="外部")
    import hashlib

    from pdao.products import editions
    from pdao.products.models import ReportEdition

    pdf = b"%PDF-1.4 permission-suite"
    digest = hashlib.sha256(pdf).hexdigest()
    editions.reports_dir().mkdir(parents=True, exist_ok=True)
    editions.path_of(digest, "pdf").write_bytes(pdf)
    edition = ReportEdition.objects.create(product=in_review, number=1, pdf_sha256=digest,
                                           docx_sha256=digest, generated_by=owner)  # fmt: skip
    from django.utils import timezone as tz

    from pdao.supervision.models import Alert
    from pdao.supervision.services import ensure_rules

    rule = ensure_rules()[0]
    alert = Alert.objects.create(rule=rule, severity=rule.severity, fingerprint="test:1",
                                 subject="test:1", title="告警", last_seen=tz.now())  # fmt: skip
    from pdao.supervision.models import EmergencyAction

    action = EmergencyAction.objects.create(kind="freeze_product", target=listed.code,
                                            reason="测试", taken_by=owner)  # fmt: skip
    from pdao.supervision.models import Incident

    incident = Incident.objects.create(code="LZ-IN-TEST-0001", title="测试", severity="high",
                                       description="测试", opened_by=owner)  # fmt: skip
    from pdao.products.models import Delivery
    from pdao.supervision.models import SpotCheck, SpotCheckItem

    delivered = Delivery.objects.create(
        trace_id="t" * 32, consumer=consumer.organisation, credential=credential, product=listed,
        subscription=subscription, status=200, digest="0" * 64,
    )  # fmt: skip
    spot = SpotCheck.objects.create(
        code="LZ-CC-TEST-0001", title="抽查", period_start=tz.now(), period_end=tz.now(), size=1,
        seed="s", population=1, created_by=owner,
    )  # fmt: skip
    sample = SpotCheckItem.objects.create(spot_check=spot, delivery=delivered)
    return {"listed": listed, "review": review, "subscription": subscription,
            "credential": credential, "secret": secret, "edition": edition,
            "alert": alert, "action": action, "incident": incident,
            "spot": spot, "sample": sample}  # fmt: skip


def _authorization_world(users, resource) -> dict:
    """An operator outside the actors, with a verified profile, a document, and an active
    authorization (built directly: the review itself is tested in tests/authorization)."""
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from pdao.authorization import services as authz
    from pdao.authorization.models import (
        Application,
        Authorization,
        DemandField,
        DemandItem,
        NoticeObjection,
        Qualification,
    )  # fmt: skip

    owner = user_with_role(Role.OPERATOR, organisation=OrganisationFactory(name="持证运营单位"))
    profile = authz.save_qualification(owner.organisation, by=owner, submit=True, dengbao_level=3,
                                       dengbao_expires=timezone.localdate() + timedelta(days=99),
                                       no_dishonesty=True)  # fmt: skip
    document = authz.add_document(profile, SimpleUploadedFile("l.png", b"\x89PNG\r\n\x1a\n0"),
                                  kind="licence", by=owner)  # fmt: skip
    application = authz.create_application(
        by=owner, scenario="场景", domain="commerce", purpose="industry", description="d",
        beneficiaries="b", outcomes="o", security_plan="s",
    )  # fmt: skip
    item = DemandItem.objects.create(application=application, resource=resource,
                                     output_forms=["aggregate"], frequency="每日")  # fmt: skip
    DemandField.objects.create(item=item, field=resource.fields.first(), purpose="统计")
    Application.objects.filter(pk=application.pk).update(status="active")
    agreement = authz.decision._make_agreement(application, by=users[Role.BUREAU_ADMIN], limits={})
    authorization = Authorization.objects.create(
        code="LZ-AU-TEST-0001", application=application, agreement=agreement,
        operator=owner.organisation, starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=30),
    )  # fmt: skip
    objection = NoticeObjection.objects.create(application=application, name="某", contact="x",
                                               text="异议")  # fmt: skip
    assert Qualification.objects.filter(pk=profile.pk).exists()
    from pdao.zone.models import ZoneQuery

    zone_query = ZoneQuery.objects.create(
        authorization=authorization, sql="SELECT COUNT(*) FROM t", form="aggregate",
        decision="released", result={"columns": ["n"], "rows": [[42]]},
    )  # fmt: skip
    from pdao.authorization.models import Exit

    exit_ = Exit.objects.create(authorization=authorization, cause="operator_left", reason="r")
    return {"zone_query": zone_query, "application": application, "item": item, "exit": exit_,
            "agreement": agreement,
            "authorization": authorization, "objection": objection, "profile": profile,
            "document": document}  # fmt: skip


def _expected(rule, actor, example: Example | None, world: World) -> str:
    if rule.kind == "public":
        return "allowed"
    if actor is ANONYMOUS:
        return "login"
    user = world.users[actor]
    if not rule.allows(user):
        return "forbidden"
    if example is not None and not example.visible(user, world):
        return "hidden"
    return "allowed"


def _outcome(response, *, api_call: bool) -> str:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status == 401 and api_call:
        return "login"
    if status == 302 and reverse("accounts:login") in response.get("Location", ""):
        return "login"
    return {403: "forbidden", 404: "hidden"}.get(status, "allowed" if status < 400 else str(status))


def _unsafe_headers(actor, response) -> list[str]:
    """Every answer, whatever its status, may hold a secret shown once or personal data: none
    may be stored by a browser or proxy; every answer carries the Content-Security-Policy
    (script-src without 'unsafe-inline')."""
    problems = []
    if "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"{actor or 'anonymous'}: Cache-Control {response.get('Cache-Control')!r}")
    policy = response.get("Content-Security-Policy", "")
    if "script-src 'self'" not in policy or "unsafe-inline" in policy:
        problems.append(f"{actor or 'anonymous'}: Content-Security-Policy {policy!r}")
    return problems


def _client(actor, world) -> Client:
    client = Client()
    if actor is not ANONYMOUS:
        client.force_login(world.users[actor], backend=AUTH_BACKEND)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(TOKEN_VIEWS))
def test_gateway_refuses_every_session_and_anonymous_caller(name, world):
    url = reverse(name, kwargs=EXAMPLES[name].kwargs(world))
    for actor in ACTORS:
        client = _client(actor, world)
        if name.endswith("get_report"):
            response = client.get(url)
        else:
            response = client.post(url, "{}", content_type="application/json")
        assert response.status_code == 401, actor
        assert response.json()["code"] == "invalid_token"


@pytest.mark.django_db
@pytest.mark.parametrize("name", [n for n, _ in HTML_VIEWS if n not in NOT_VIEWS | TOKEN_VIEWS])
def test_view_answers_each_role_by_its_permissions(name, world):
    pattern = dict(HTML_VIEWS)[name]
    rule = pattern.callback.access_rule
    example = EXAMPLES.get(name)
    url = reverse(name, kwargs=example.kwargs(world) if example else None)
    wrong = []
    for actor in ACTORS:
        client = _client(actor, world)
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            response = client.post(url, example.payload(world) if example else {})
        expected = _expected(rule, actor, example, world)
        got = _outcome(response, api_call=False)
        if got != expected:
            wrong.append(f"{actor or 'anonymous'}: expected {expected}, got {got}")
        wrong += _unsafe_headers(actor, response)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            title = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
            if title and "<" in title.group(1):  # a block left open swallows the page
                wrong.append(f"{actor or 'anonymous'}: markup inside <title>")
    assert wrong == [], f"{name} ({url}): " + "; ".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(API_NAMES))
def test_api_answers_each_role_by_its_permissions(name, world):
    operation = dict(_api_operations())[name]
    rule = operation.view_func.access_rule
    example = EXAMPLES.get(name)
    url = reverse(name, kwargs=example.kwargs(world) if example else None)
    if example and example.query(world):
        url += "?" + example.query(world)
    wrong = []
    for actor in ACTORS:
        client = _client(actor, world)
        method = operation.methods[0].lower()
        if method == "post":
            payload = json.dumps(example.payload(world) if example else {})
            response = client.post(url, payload, content_type="application/json")
        else:
            response = getattr(client, method)(url)
        expected = _expected(rule, actor, example, world)
        got = _outcome(response, api_call=True)
        if got != expected:
            wrong.append(f"{actor or 'anonymous'}: expected {expected}, got {got}")
        wrong += _unsafe_headers(actor, response)
    assert wrong == [], f"{name} ({url}): " + "; ".join(wrong)


@pytest.mark.django_db
def test_organisation_list_shows_only_visible_organisations(world, client_for):
    operator = world.users[Role.OPERATOR]
    response = client_for(operator).get(reverse("accounts:organisation_list"))
    shown = {o.pk for o in response.context["page"]}
    assert shown == {operator.organisation_id}

    bureau = world.users[Role.BUREAU_ADMIN]
    response = client_for(bureau).get(reverse("accounts:organisation_list") + "?type=provider")
    shown = {o.pk for o in response.context["page"]}
    assert world.subject_organisation.pk in shown
    assert operator.organisation_id not in shown


@pytest.mark.django_db
def test_api_organisations_filtered_to_caller(world, client_for):
    operator = world.users[Role.OPERATOR]
    body = client_for(operator).get("/api/v1/accounts/organisations").json()
    assert [o["id"] for o in body] == [operator.organisation_id]


POLICY_FILE = __file__.rsplit("/", 1)[0] + "/access_policy.txt"


def _policy_lines() -> list[str]:
    rules = [(n, p.callback.access_rule, p.callback.access_rule.methods)
             for n, p in HTML_VIEWS if n not in NOT_VIEWS | TOKEN_VIEWS]  # fmt: skip
    # API operations: ninja routes the methods, so the operation's own are the ones shown.
    rules += [(n, op.view_func.access_rule, tuple(op.methods)) for n, op in _api_operations()]
    lines = []
    for name, rule, methods in sorted(rules, key=lambda r: r[0]):
        if rule.kind == "permission":
            roles = ",".join(r.value for r in Role if rule.permission in _role_perms(r)) or "-"
            needs = f"{rule.permission.value} [{roles}]"
        else:
            needs = rule.kind
        lines.append(f"{name:<36} {'/'.join(m for m in methods if m != 'HEAD'):<9} {needs}")
    return lines


def _role_perms(role):
    from pdao.core.permissions import ROLE_PERMISSIONS

    return ROLE_PERMISSIONS[role]


def test_access_policy_matches_the_reviewed_snapshot():
    """Who may open what, as one reviewed file: a change to any view's rule or any role's
    permissions shows up in tests/access_policy.txt in the same diff. Regenerate it with
    PDAO_UPDATE_POLICY=1 make test, then read the diff."""
    import os
    from pathlib import Path

    current = "\n".join(_policy_lines()) + "\n"
    path = Path(POLICY_FILE)
    if os.environ.get("PDAO_UPDATE_POLICY") == "1":
        path.write_text(current, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == current, (
        "the access policy changed; regenerate with PDAO_UPDATE_POLICY=1 and review the diff"
    )


@pytest.mark.django_db
def test_organisation_list_puts_government_bodies_first(world, client_for):
    bureau = world.users[Role.BUREAU_ADMIN]
    page = client_for(bureau).get(reverse("accounts:organisation_list")).context["page"]
    types = [o.type for o in page]
    assert types[0] == OrganisationType.DATA_BUREAU
    assert types == sorted(types, key=list(OrganisationType.values).index)
