"""登记 services: registration records of resources per the 2025 national measures."""

import hashlib
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.catalogue.models import Objection, Registration, Resource
from pdao.core import submissions
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation
from pdao.ledger import services as ledger
from pdao.ledger.entry import canonical

SUBMIT = actions.define("registration.submit", gettext_lazy("提交数据资源登记"))
NOTICE = actions.define("registration.notice", gettext_lazy("登记公示"))
OBJECT = actions.define("registration.objection", gettext_lazy("登记异议"))
ANSWER = actions.define("registration.answer", gettext_lazy("答复登记异议"))
CONFIRM = actions.define("registration.confirm", gettext_lazy("确认登记"))
REJECT = actions.define("registration.reject", gettext_lazy("登记未通过"))

NOTICE_WORKING_DAYS = 10


def add_working_days(start: date, days: int) -> date:
    """`days` working days after `start` (Monday to Friday; statutory holidays are not
    modelled, so the bureau may extend a notice that spans one)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def snapshot(resource: Resource) -> dict:
    """What is registered: the national platform's fields, as of now."""
    active = resource.active_version
    return {
        "资源名称": resource.name,
        "资源代码": resource.code,
        "资源摘要": resource.description,
        "数据提供单位": resource.provider.name,
        "统一社会信用代码": resource.provider.credit_code,
        "领域": str(resource.get_domain_display()),
        "共享属性": str(resource.get_sharing_display()),
        "开放属性": str(resource.get_opening_display()),
        "更新频率": str(resource.get_frequency_display()),
        "分级": str(resource.get_grade_display()),
        "数据项": [f.label or f.name for f in resource.fields.order_by("position")],
        "数据量（行）": active.rows if active else 0,
        "数据版本SHA-256": active.sha256 if active else "",
    }


@transaction.atomic
def submit(resource: Resource, *, by, kind: str, commitment_signed_by: str) -> Registration:
    """The provider submits a registration with its signed commitment (承诺书)."""
    if by.organisation_id != resource.provider_id:
        raise RuleViolation(_("只有该资源的提供单位可以申请登记。"))
    Registration.Kind(kind)
    confirmed = resource.registrations.filter(status=Registration.Status.CONFIRMED).exists()
    if kind == Registration.Kind.INITIAL and confirmed:
        raise RuleViolation(_("该资源已完成首次登记，请申请变更、更正或注销登记。"))
    if kind != Registration.Kind.INITIAL and not confirmed:
        raise RuleViolation(_("该资源尚未完成首次登记。"))
    if resource.registrations.filter(
        status__in=[Registration.Status.SUBMITTED, Registration.Status.NOTICE]
    ).exists():
        raise RuleViolation(_("该资源有尚未办结的登记。"))
    if not commitment_signed_by.strip():
        raise RuleViolation(_("请签署承诺书。"))
    registration = Registration.objects.create(
        resource=resource,
        kind=kind,
        status=Registration.Status.SUBMITTED,
        snapshot=snapshot(resource),
        commitment_signed_by=commitment_signed_by.strip(),
        commitment_signed_at=timezone.now(),
        submitted_by=by,
    )
    record(SUBMIT, by=by, target=registration, summary=_("提交 %(r)s") % {"r": registration})
    return registration


@transaction.atomic
def open_notice(registration: Registration, *, by, days: int = NOTICE_WORKING_DAYS) -> Registration:
    """The bureau publishes the registration for public notice (公示)."""
    _bureau(by)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != Registration.Status.SUBMITTED:
        raise RuleViolation(_("只有已提交的登记可以公示。"))
    registration.status = Registration.Status.NOTICE
    registration.notice_start = timezone.localdate()
    registration.notice_end = add_working_days(registration.notice_start, days)
    registration.save()
    summary = _("%(r)s 公示至 %(end)s") % {"r": registration, "end": registration.notice_end}
    record(NOTICE, by=by, target=registration, summary=summary)
    return registration


@transaction.atomic
def raise_objection(registration: Registration, *, name: str, contact: str, text: str) -> Objection:
    """Anyone may object while the notice runs; no account is needed."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    today = timezone.localdate()
    if registration.status != Registration.Status.NOTICE or today > registration.notice_end:
        raise RuleViolation(_("该登记不在公示期内，不能提出异议。"))
    objection = submissions.create_once(
        Objection,
        prefix="YY",
        parts=(registration.pk, name, contact, text),
        created="raised_at",
        registration=registration,
        raised_by_name=name,
        contact=contact,
        text=text,
    )
    if objection.repeated:
        return objection
    record(
        OBJECT,
        by=None,
        username=name[:150],
        target=registration,
        summary=_("%(n)s 对 %(r)s 提出异议") % {"n": name, "r": registration},
    )
    return objection


def track_objection(number: str) -> dict | None:
    """What the person who objected may see of it, by its tracking number (受理编号)."""
    objection = (
        Objection.objects.select_related("registration__resource")
        .filter(tracking_no=number)
        .first()
    )
    if objection is None:
        return None
    return {
        "kind": _("资源登记公示异议"),
        "subject": str(objection.registration),
        "received": objection.raised_at,
        "status": submissions.objection_status(objection.answered_at, objection.upheld),
        "response": objection.response,
        "answered": objection.answered_at,
        "contact": objection.contact,
    }


@transaction.atomic
def answer_objection(objection: Objection, *, by, response: str, upheld: bool) -> Objection:
    _bureau(by)
    if not response.strip():
        raise RuleViolation(_("请填写答复内容。"))
    objection.response, objection.upheld, objection.answered_at = response, upheld, timezone.now()
    objection.save()
    record(
        ANSWER,
        by=by,
        target=objection.registration,
        changes={"objection": objection.pk, "upheld": upheld},
        summary=_("答复对 %(r)s 的异议（%(v)s）")
        % {"r": objection.registration, "v": _("成立") if upheld else _("不成立")},
    )
    return objection


@transaction.atomic
def decide(registration: Registration, *, by, confirm: bool, note: str = "") -> Registration:
    """After the notice: confirm with a registration code (when every objection is answered and
    none upheld) or reject with a reason. Confirmation is anchored on the ledger."""
    _bureau(by)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != Registration.Status.NOTICE:
        raise RuleViolation(_("只有公示中的登记可以作出决定。"))
    if confirm:
        if timezone.localdate() <= registration.notice_end:
            raise RuleViolation(_("公示期尚未结束。"))
        objections = registration.objections.all()
        if any(o.answered_at is None for o in objections):
            raise RuleViolation(_("还有未答复的异议。"))
        if any(o.upheld for o in objections):
            raise RuleViolation(_("有成立的异议，不能确认登记。"))
    elif not note.strip():
        raise RuleViolation(_("不予登记时请说明理由。"))
    registration.status = Registration.Status.CONFIRMED if confirm else Registration.Status.REJECTED
    registration.decided_at, registration.decided_by = timezone.now(), by
    registration.decision_note = note
    if confirm:
        registration.code = _next_code(registration)
    registration.save()
    if confirm:
        ledger.anchor(
            "registration.confirm",
            target=registration,
            content_hash=hashlib.sha256(
                canonical(registration.snapshot | {"登记查询码": registration.code})
            ).hexdigest(),
            by=by,
        )
    record(
        CONFIRM if confirm else REJECT,
        by=by,
        target=registration,
        summary=_("%(r)s:%(v)s") % {"r": registration, "v": registration.code if confirm else note},
    )
    return registration


def _next_code(registration: Registration) -> str:
    """登记查询码: <division>-<year>-<6-digit sequence>, e.g. 450200-2026-000012."""
    year = timezone.localdate().year
    prefix = f"{settings.CITY_DIVISION_CODE}-{year}-"
    taken = Registration.objects.filter(code__startswith=prefix).count()
    return f"{prefix}{taken + 1:06d}"


def _bureau(user) -> None:
    if not user.has_perm(Perm.REGISTRATION_DECIDE):
        raise RuleViolation(_("只有市数据局可以办理登记。"))


def national_record(registration: Registration) -> dict:
    """The record in the national platform's fields (for JSON and Excel export)."""
    return {
        "登记类型": str(registration.get_kind_display()),
        **registration.snapshot,
        "承诺书签署人": registration.commitment_signed_by,
        "公示期": f"{registration.notice_start} 至 {registration.notice_end}",
        "登记查询码": registration.code,
        "确认日期": timezone.localtime(registration.decided_at).date().isoformat(),
    }
