"""决定: fair competition for capped resources, the bureau's decision with reasons, the
agreement generated from the application, its signing by both parties and the authorization
that starts when both have signed."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization import agreements, precheck
from pdao.authorization.choices import OPEN_STATUSES, ApplicationStatus, OutputForm
from pdao.authorization.models import Agreement, Application, Authorization, Signature
from pdao.authorization.services.authorizations import schedule_expiry
from pdao.authorization.services.steps import OPERATOR, Notice, advance, expect, move, tell
from pdao.core.codes import next_code
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, add_months, require
from pdao.ledger import services as ledger
from pdao.notifications.services import holders, members, notify

APPLICATION_DECIDE = actions.define("authz.decide", gettext_lazy("作出授权决定"))
AGREEMENT_SIGN = actions.define("authz.sign", gettext_lazy("签署授权运营协议"))
AUTHORIZATION_ACTIVATE = actions.define("authz.activate", gettext_lazy("授权生效"))
# Ledger entry types that are not audit actions, by their names (the ledger's pages).
actions.define("authorization.agreement", gettext_lazy("授权运营协议签署"))

DEFAULT_LIMITS = {
    "epsilon_total": "3.0",
    "epsilon_query_min": "0.01",
    "epsilon_query_max": "1.0",
    "daily_queries": 500,
    "monthly_calls": 100_000,
    "fee_cap_yuan": "0",
    "revenue_share_percent": "10",
}


def competitors(application: Application) -> list[Application]:
    """Open applications competing for any capped resource this one requests, with this one,
    best mean expert score first (unscored last)."""
    capped = [i.resource_id for i in application.items.all() if hasattr(i.resource, "cap")]
    if not capped:
        return []
    rivals = (
        Application.objects.filter(items__resource_id__in=capped, status__in=OPEN_STATUSES)
        .distinct()
        .select_related("operator")
        .prefetch_related("scores")
    )
    ranked = sorted(rivals, key=lambda a: (a.mean_score is None, -(a.mean_score or 0), a.pk))
    return ranked if len(ranked) > 1 else []


def _check_approvable(application: Application, passed_over_reason: str) -> None:
    """Approval re-runs the pre-check (qualifications and caps may have changed since
    submission) and passes over a better-scored rival only with a written reason."""
    blocked = [f for f in precheck.run(application) if f.severity == "error"]
    if blocked:
        raise RuleViolation(_("合规预检未通过，不能批准：%(m)s") % {"m": blocked[0].message})
    better = [
        a
        for a in competitors(application)
        if a.pk != application.pk and (a.mean_score or 0) > (application.mean_score or 0)
    ]
    if better and not passed_over_reason.strip():
        raise RuleViolation(
            _("%(c)s 得分更高（%(s)s 分），越过排名批准须书面说明理由。")
            % {"c": better[0].code, "s": better[0].mean_score}
        )


@transaction.atomic
def decide(
    application: Application,
    *,
    by,
    approve: bool,
    reason: str,
    passed_over_reason: str = "",
    limits: dict | None = None,
) -> Agreement | None:
    """The bureau's decision with reasons; an approval generates the agreement, returned for
    signing (None on a rejection)."""
    require(by, Perm.AUTHZ_DECIDE)
    expect(application, ApplicationStatus.DECISION)
    if not reason.strip():
        raise RuleViolation(_("决定须写明理由。"))
    if approve:
        _check_approvable(application, passed_over_reason)
    status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
    agreement = _make_agreement(application, by=by, limits=limits or {}) if approve else None
    label = ApplicationStatus(status).label
    advance(
        application,
        status,
        by=by,
        action=APPLICATION_DECIDE,
        changes={
            "approve": approve,
            "reason": reason,
            "passed_over_reason": passed_over_reason,
            "agreement_sha256": agreement.sha256 if agreement else None,
        },
        summary=_("%(c)s:%(d)s") % {"c": application.code, "d": label},
        notice=Notice(
            OPERATOR, _("授权决定：%(c)s %(d)s") % {"c": application.code, "d": label}, reason
        ),
        decision_reason=reason,
        decided_at=timezone.now(),
        passed_over_reason=passed_over_reason,
    )
    return agreement


def _scope(application: Application) -> list[dict]:
    """The agreement's scope: each requested resource, its grade, fields with their purposes
    and output forms."""
    return [
        {
            "resource_code": item.resource.code,
            "resource_name": item.resource.name,
            "grade": str(item.resource.get_grade_display()),
            "fields": [
                {"name": d.field.name, "label": d.field.label or d.field.name, "purpose": d.purpose}
                for d in item.fields.all()
            ],
            "output_forms": [str(OutputForm(f).label) for f in item.output_forms],
            "output_form_codes": list(item.output_forms),
        }
        for item in application.items.select_related("resource").prefetch_related("fields__field")
    ]


def _make_agreement(application: Application, *, by, limits: dict) -> Agreement:
    limits = DEFAULT_LIMITS | {k: v for k, v in limits.items() if v not in (None, "")}
    starts = timezone.localdate()
    ends = add_months(starts, application.term_months) - timedelta(days=1)
    grantor = by.organisation
    operator = application.operator
    industry = application.purpose == "industry"
    terms = {
        "title": "柳州市公共数据授权运营协议",
        "agreement_no": application.code.replace("-AP-", "-AG-"),
        "application": application.code,
        "grantor": {"name": grantor.name, "credit_code": grantor.credit_code},
        "operator": {"name": operator.name, "credit_code": operator.credit_code},
        "scenario": {
            "name": application.scenario,
            "domain": str(application.get_domain_display()),
            "purpose": str(application.get_purpose_display()),
            "description": application.description,
        },
        "term": {"starts_on": starts.isoformat(), "ends_on": ends.isoformat()},
        "scope": _scope(application),
        "limits": {
            "epsilon_total": str(limits["epsilon_total"]),
            "epsilon_query_min": str(limits["epsilon_query_min"]),
            "epsilon_query_max": str(limits["epsilon_query_max"]),
            "daily_queries": int(limits["daily_queries"]),
            "monthly_calls": int(limits["monthly_calls"]),
        },
        "pricing": {
            "category": "产业（有偿，不超过收费上限）" if industry else "公益（免费）",
            "fee_cap_yuan": str(limits["fee_cap_yuan"]) if industry else "0",
        },
        "revenue_share_percent": str(limits["revenue_share_percent"]) if industry else "0",
        "prohibited": agreements.PROHIBITED,
        "exit": agreements.EXIT_TERMS,
    }
    return Agreement.objects.create(
        application=application, terms=terms, sha256=agreements.digest(terms)
    )


def _require_party(agreement: Agreement, by) -> None:
    """Only the two parties sign: the bureau for the city (grantor), the operator for itself,
    each as named in the terms."""
    application = agreement.application
    if by.organisation.credit_code == agreement.terms["grantor"]["credit_code"]:
        require(by, Perm.AUTHZ_DECIDE)
    elif (
        by.organisation_id == application.operator_id
        and by.organisation.credit_code == agreement.terms["operator"]["credit_code"]
    ):
        require(by, Perm.AUTHZ_APPLY)
    else:
        raise RuleViolation(_("只有协议双方可以签署。"))


@transaction.atomic
def sign_agreement(agreement: Agreement, *, by) -> Signature:
    """One party signs. When both have signed, the authorization becomes active and the signed
    hash goes on the ledger; until then the other party is asked to sign."""
    application = agreement.application
    expect(application, ApplicationStatus.APPROVED)
    _require_party(agreement, by)
    if agreements.digest(agreement.terms) != agreement.sha256:
        raise RuleViolation(_("协议文本与生成时的摘要不一致，不能签署。"))
    key = agreements.key_for(by.organisation)
    if agreement.signatures.filter(organisation=by.organisation).exists():
        raise RuleViolation(_("本单位已签署该协议。"))
    signature = Signature.objects.create(
        agreement=agreement,
        organisation=by.organisation,
        signer=by,
        key=key,
        signature=agreements.sign(agreement.terms, key),
    )
    record(
        AGREEMENT_SIGN,
        by=by,
        target=agreement,
        changes={"sha256": agreement.sha256, "key": key.name},
        summary=_("%(o)s 签署协议 %(n)s，摘要 %(h)s")
        % {"o": by.organisation.name, "n": agreement, "h": agreement.sha256[:16]},
    )
    if agreement.signatures.count() == 2:
        _activate(agreement, by=by)
    else:
        other = application.operator if by.organisation_id != application.operator_id else None
        notify(
            members(other, Role.OPERATOR) if other else holders(Role.BUREAU_ADMIN),
            subject=_("授权运营协议待签署：%(n)s") % {"n": agreement},
            link=reverse("authorization:agreement_detail", args=[agreement.pk]),
        )
    return signature


def _activate(agreement: Agreement, *, by) -> Authorization:
    application = agreement.application
    term = agreement.terms["term"]
    limits = agreement.terms["limits"]
    authorization = Authorization.objects.create(
        code=next_code("LZ-AU", Authorization),
        application=application,
        agreement=agreement,
        operator=application.operator,
        starts_on=date.fromisoformat(term["starts_on"]),
        ends_on=date.fromisoformat(term["ends_on"]),
        epsilon_total=float(limits["epsilon_total"]),
        # Agreements signed before these bounds existed take the defaults.
        epsilon_query_min=float(
            limits.get("epsilon_query_min", DEFAULT_LIMITS["epsilon_query_min"])
        ),
        epsilon_query_max=float(
            limits.get("epsilon_query_max", DEFAULT_LIMITS["epsilon_query_max"])
        ),
        daily_queries=limits["daily_queries"],
        monthly_calls=limits["monthly_calls"],
    )
    ledger.anchor(
        "authorization.agreement",
        content_hash=agreement.sha256,
        by=by,
        target=authorization,
        subject={"authorization.agreement": str(agreement.pk)},
    )
    record(
        AUTHORIZATION_ACTIVATE,
        by=by,
        target=authorization,
        changes={"agreement_sha256": agreement.sha256, "ends_on": term["ends_on"]},
        summary=_("授权 %(c)s 生效，至 %(d)s") % {"c": authorization.code, "d": term["ends_on"]},
    )
    # The application's step change is the activation's: audited above, not twice.
    move(application, ApplicationStatus.ACTIVE)
    tell(application, Notice(OPERATOR, _("授权已生效：%(c)s") % {"c": authorization.code}))
    transaction.on_commit(lambda: schedule_expiry(authorization))
    return authorization
