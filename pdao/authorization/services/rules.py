"""The bureau's tables: qualification requirements per grade and caps on live authorizations
(总量上限)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization.models import Cap, QualificationRule
from pdao.catalogue.models import Resource
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation, require

RULES_SAVE = actions.define("authz.rules", gettext_lazy("修改资质要求与总量上限"))


def _level(value, maximum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RuleViolation(_("请输入整数。")) from None
    if not 0 <= number <= maximum:
        raise RuleViolation(_("数值超出范围（0–%(m)d）。") % {"m": maximum})
    return number


def _save_requirements(data) -> dict:
    changes = {}
    for rule in QualificationRule.objects.select_for_update():
        before = (rule.min_dengbao, rule.min_dsmm, rule.min_dcmm, rule.needs_iso27001)
        prefix = f"rule-{rule.grade}-"
        rule.min_dengbao = _level(data.get(prefix + "min_dengbao", rule.min_dengbao), 4)
        rule.min_dsmm = _level(data.get(prefix + "min_dsmm", rule.min_dsmm), 5)
        rule.min_dcmm = _level(data.get(prefix + "min_dcmm", rule.min_dcmm), 5)
        rule.needs_iso27001 = data.get(prefix + "needs_iso27001") == "yes"
        after = (rule.min_dengbao, rule.min_dsmm, rule.min_dcmm, rule.needs_iso27001)
        if after != before:
            rule.save()
            changes[rule.grade] = [list(before), list(after)]
    return changes


def _save_caps(data) -> dict:
    changes = {}
    for key in [k for k in data if k.startswith("delete-cap-")]:
        cap = Cap.objects.filter(pk=key.removeprefix("delete-cap-")).first()
        if cap is not None:
            changes[f"cap-{cap.pk}"] = [str(cap), None]
            cap.delete()
    if not data.get("new_max"):
        return changes
    scope = data.get("new_scope")
    cap = Cap(scope=scope, max_active=_level(data["new_max"], 10_000))
    if scope == "resource":
        cap.resource = Resource.objects.filter(pk=data.get("new_resource") or 0).first()
        if cap.resource is None:
            raise RuleViolation(_("请选择数据资源。"))
        Cap.objects.filter(resource=cap.resource).delete()
    elif scope == "domain":
        cap.domain = data.get("new_domain", "")
        Cap.objects.filter(scope="domain", domain=cap.domain).delete()
    else:
        raise RuleViolation(_("请选择上限范围。"))
    try:
        cap.full_clean()
    except ValidationError as error:
        raise RuleViolation("；".join(error.messages)) from None
    cap.save()
    changes[f"cap-{cap.pk}"] = [None, str(cap)]
    return changes


@transaction.atomic
def save_rules(*, by, data) -> dict:
    """Apply the rules page: each grade's requirements, caps to delete, a cap to add. Returns
    what changed ({rule or cap: [before, after]})."""
    require(by, Perm.AUTHZ_DECIDE)
    changes = _save_requirements(data) | _save_caps(data)
    record(
        RULES_SAVE,
        by=by,
        target_ref=("authorization.rules", "table"),
        changes=changes,
        summary=_("修改资质要求与总量上限（%(n)d 项）") % {"n": len(changes)},
    )
    return changes
