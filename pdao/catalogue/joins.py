"""声明的关联: the joins the zone allows. The bureau declares that a fact table's column refers
to a dimension table's key; operators may then join the two on exactly that, and the zone
counts the privacy units of both sides (docs/zone.md). Nothing else can be joined: a join on
free conditions can hang one person's value on every other row."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.catalogue.models import DeclaredJoin, Field
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation

JOIN_DECLARE = actions.define("dataset.join.declare", gettext_lazy("声明数据关联"))
JOIN_WITHDRAW = actions.define("dataset.join.withdraw", gettext_lazy("撤销数据关联"))


def _may(by) -> None:
    if by is None or not by.has_perm(Perm.CATALOGUE_GRADE):
        raise RuleViolation(_("只有市数据局可以声明或撤销数据关联。"))


@transaction.atomic
def declare(*, by, left: Field, right: Field, note: str = "") -> DeclaredJoin:
    """Allow `left` (a fact table's column) to be joined to `right` (a dimension's key)."""
    _may(by)
    if left.resource_id == right.resource_id:
        raise RuleViolation(_("不能声明表与自身的关联。"))
    if left.type != right.type:
        raise RuleViolation(
            _("关联两端的字段类型须相同（%(a)s 与 %(b)s）。")
            % {"a": left.get_type_display(), "b": right.get_type_display()}
        )
    found = DeclaredJoin.objects.filter(
        left_resource=left.resource,
        left_column=left.name,
        right_resource=right.resource,
        right_column=right.name,
    ).first()
    if found is not None and found.active:
        raise RuleViolation(_("该关联已声明。"))
    try:
        if found is None:
            found = DeclaredJoin.objects.create(
                left_resource=left.resource,
                left_column=left.name,
                right_resource=right.resource,
                right_column=right.name,
                note=note.strip()[:300],
                declared_by=by,
            )
        else:
            found.active, found.note, found.declared_by = True, note.strip()[:300], by
            found.save(update_fields=["active", "note", "declared_by"])
    except IntegrityError:
        raise RuleViolation(_("该关联已声明。")) from None
    record(
        JOIN_DECLARE,
        by=by,
        target=found,
        changes={
            "left": f"{left.resource.code}.{left.name}",
            "right": f"{right.resource.code}.{right.name}",
            "note": found.note,
        },
        summary=_("声明数据关联：%(j)s") % {"j": str(found)},
    )
    return found


@transaction.atomic
def withdraw(join: DeclaredJoin, *, by, reason: str) -> DeclaredJoin:
    """Stop allowing a join (queries using it are refused from the next one on)."""
    _may(by)
    if not reason.strip():
        raise RuleViolation(_("请说明撤销理由。"))
    join = DeclaredJoin.objects.select_for_update().get(pk=join.pk)
    if not join.active:
        raise RuleViolation(_("该关联已撤销。"))
    join.active = False
    join.save(update_fields=["active"])
    record(
        JOIN_WITHDRAW,
        by=by,
        target=join,
        changes={"reason": reason.strip()[:500]},
        summary=_("撤销数据关联：%(j)s") % {"j": str(join)},
    )
    return join
