"""申请: an operator's application — its scenario, its demand list (需求清单), the compliance
pre-check on submission, and withdrawal."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization import precheck
from pdao.authorization.choices import OPEN_STATUSES, ApplicationStatus, OutputForm
from pdao.authorization.models import Application, DemandField, DemandItem
from pdao.authorization.services.steps import BUREAU, Notice, advance
from pdao.catalogue.models import Resource
from pdao.core.codes import next_code
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation, require

APPLICATION_SAVE = actions.define("authz.application", gettext_lazy("编辑授权申请"))
APPLICATION_SUBMIT = actions.define("authz.submit", gettext_lazy("提交授权申请"))
APPLICATION_PRECHECK_FAILED = actions.define(
    "authz.precheck_failed", gettext_lazy("合规预检未通过")
)
APPLICATION_WITHDRAW = actions.define("authz.withdraw", gettext_lazy("撤回授权申请"))

APPLICATION_FIELDS = (
    "scenario",
    "domain",
    "description",
    "beneficiaries",
    "purpose",
    "outcomes",
    "security_plan",
    "term_months",
)


@transaction.atomic
def create_application(*, by, renewal_of=None, **values) -> Application:
    require(by, Perm.AUTHZ_APPLY)
    application = Application.objects.create(
        code=next_code("LZ-AP", Application),
        operator=by.organisation,
        created_by=by,
        renewal_of=renewal_of,
        **{k: v for k, v in values.items() if k in APPLICATION_FIELDS},
    )
    record(
        APPLICATION_SAVE,
        by=by,
        target=application,
        summary=_("创建授权申请 %(c)s：%(s)s") % {"c": application.code, "s": application.scenario},
    )
    return application


def require_editable(application: Application, by) -> None:
    """Only the applying operator's people change an application, and only while it is a
    draft or returned for correction."""
    require(by, Perm.AUTHZ_APPLY)
    if application.operator_id != by.organisation_id:
        raise RuleViolation(_("只能修改本单位的申请。"))
    if not application.is_editable:
        raise RuleViolation(_("申请已提交，不能修改；如需修改请先撤回或等待退回补正。"))


@transaction.atomic
def update_application(application: Application, *, by, **values) -> Application:
    require_editable(application, by)
    changes = {}
    for k, v in values.items():
        if k in APPLICATION_FIELDS and getattr(application, k) != v:
            changes[k] = [str(getattr(application, k)), str(v)]
            setattr(application, k, v)
    application.save()
    record(
        APPLICATION_SAVE,
        by=by,
        target=application,
        changes=changes,
        summary=_("修改授权申请 %(c)s") % {"c": application.code},
    )
    return application


def _check_item(resource: Resource, fields: list[dict], output_forms: list[str]) -> None:
    if not set(output_forms) <= set(OutputForm.values) or not output_forms:
        raise RuleViolation(_("请选择至少一种输出形式。"))
    if not fields:
        raise RuleViolation(_("请至少选择一个字段，并写明用途。"))
    for f in fields:
        if f["field"].resource_id != resource.pk:
            raise RuleViolation(_("字段不属于所选数据资源。"))
        if not f["purpose"].strip():
            raise RuleViolation(_("请写明每个字段的使用目的。"))


@transaction.atomic
def set_item(
    application: Application,
    *,
    by,
    resource: Resource,
    fields: list[dict],
    output_forms: list[str],
    volume: int,
    frequency: str,
) -> DemandItem:
    """Add or replace the demand line for `resource`: `fields` as
    [{"field": Field, "purpose": str, "justification": str}]."""
    require_editable(application, by)
    _check_item(resource, fields, output_forms)
    application.items.filter(resource=resource).delete()
    item = DemandItem.objects.create(
        application=application,
        resource=resource,
        output_forms=sorted(set(output_forms)),
        volume=volume,
        frequency=frequency,
    )
    DemandField.objects.bulk_create(
        DemandField(
            item=item,
            field=f["field"],
            purpose=f["purpose"].strip(),
            justification=f.get("justification", "").strip(),
        )
        for f in fields
    )
    record(
        APPLICATION_SAVE,
        by=by,
        target=application,
        changes={
            "resource": resource.code,
            "fields": [f["field"].name for f in fields],
            "output_forms": item.output_forms,
        },
        summary=_("申请 %(c)s 需求清单：%(r)s") % {"c": application.code, "r": resource.name},
    )
    return item


@transaction.atomic
def remove_item(item: DemandItem, *, by) -> Application:
    application = item.application
    require_editable(application, by)
    record(
        APPLICATION_SAVE,
        by=by,
        target=application,
        changes={"removed": item.resource.code},
        summary=_("申请 %(c)s 移除需求：%(r)s") % {"c": application.code, "r": item.resource.name},
    )
    item.delete()
    return application


@transaction.atomic
def submit(application: Application, *, by) -> list[precheck.Finding]:
    """Run the compliance pre-check; with no errors the application goes to the bureau for
    acceptance, otherwise it stays editable and the findings say what to fix. Returns the
    findings (the application is re-read in place)."""
    require_editable(application, by)
    findings = precheck.run(application)
    blocked = [f for f in findings if f.severity == "error"]
    Application.objects.filter(pk=application.pk).update(precheck=[f.as_dict() for f in findings])
    if blocked:
        record(
            APPLICATION_PRECHECK_FAILED,
            by=by,
            target=application,
            changes={"rules": sorted({f.rule for f in blocked})},
            summary=_("申请 %(c)s 合规预检未通过：%(m)s")
            % {"c": application.code, "m": blocked[0].message},
        )
    else:
        advance(
            application,
            ApplicationStatus.SUBMITTED,
            by=by,
            action=APPLICATION_SUBMIT,
            summary=_("提交授权申请 %(c)s") % {"c": application.code},
            notice=Notice(
                BUREAU,
                _("新的授权申请待受理：%(c)s %(s)s")
                % {"c": application.code, "s": application.scenario},
            ),
            submitted_at=timezone.now(),
            return_reason="",
        )
    application.refresh_from_db()
    return findings


@transaction.atomic
def withdraw(application: Application, *, by, reason: str = "") -> Application:
    require(by, Perm.AUTHZ_APPLY)
    if application.operator_id != by.organisation_id:
        raise RuleViolation(_("只能撤回本单位的申请。"))
    if application.status not in (
        ApplicationStatus.DRAFT,
        ApplicationStatus.RETURNED,
        *OPEN_STATUSES,
    ):
        raise RuleViolation(_("该申请已有决定，不能撤回。"))
    return advance(
        application,
        ApplicationStatus.WITHDRAWN,
        by=by,
        action=APPLICATION_WITHDRAW,
        changes={"reason": reason},
        summary=_("撤回授权申请 %(c)s") % {"c": application.code},
        notice=Notice(BUREAU, _("申请已撤回：%(c)s") % {"c": application.code}, reason),
    )
