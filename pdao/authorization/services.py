"""State changes of authorization: qualifications, applications and their review, agreements
and authorizations. Views, commands and tasks call these; each audits in its transaction."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization import agreements, precheck, risk
from pdao.authorization.choices import (
    OPEN_STATUSES,
    STEP_DAYS,
    ApplicationStatus,
    AuthorizationStatus,
    OutputForm,
    QualificationStatus,
    Verdict,
)
from pdao.authorization.models import (
    Agreement,
    Application,
    Authorization,
    DemandField,
    DemandItem,
    NoticeObjection,
    Opinion,
    Qualification,
    QualificationDocument,
    Score,
    Signature,
)
from pdao.catalogue.models import Resource
from pdao.catalogue.registration import add_working_days
from pdao.core import submissions
from pdao.core.codes import next_code
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, add_months, require
from pdao.ledger import services as ledger
from pdao.ledger.entry import canonical
from pdao.notifications.services import holders, members, notify

logger = logging.getLogger(__name__)

QUALIFICATION_SAVE = actions.define("authz.qualification", gettext_lazy("更新资质档案"))
QUALIFICATION_DOCUMENT = actions.define("authz.document", gettext_lazy("上传资质材料"))
QUALIFICATION_VERIFY = actions.define("authz.qualification_verify", gettext_lazy("核验资质"))
APPLICATION_SAVE = actions.define("authz.application", gettext_lazy("编辑授权申请"))
APPLICATION_SUBMIT = actions.define("authz.submit", gettext_lazy("提交授权申请"))
APPLICATION_PRECHECK_FAILED = actions.define(
    "authz.precheck_failed", gettext_lazy("合规预检未通过")
)
APPLICATION_WITHDRAW = actions.define("authz.withdraw", gettext_lazy("撤回授权申请"))
APPLICATION_ACCEPT = actions.define("authz.accept", gettext_lazy("受理授权申请"))
APPLICATION_RETURN = actions.define("authz.return", gettext_lazy("退回补正"))
OPINION_GIVE = actions.define("authz.opinion", gettext_lazy("提出提供单位意见"))
ASSESSMENT_DONE = actions.define("authz.assessment", gettext_lazy("完成事前评估"))
SCORE_GIVE = actions.define("authz.score", gettext_lazy("专家评分"))
SCORE_RECUSE = actions.define("authz.recuse", gettext_lazy("评审回避"))
SCORING_CLOSE = actions.define("authz.scoring_closed", gettext_lazy("结束评审并公示"))
NOTICE_OBJECTION = actions.define("authz.objection", gettext_lazy("公示异议"))
NOTICE_ANSWER = actions.define("authz.objection_answer", gettext_lazy("答复公示异议"))
NOTICE_CLOSE = actions.define("authz.notice_closed", gettext_lazy("公示期结束"))
APPLICATION_DECIDE = actions.define("authz.decide", gettext_lazy("作出授权决定"))
AGREEMENT_SIGN = actions.define("authz.sign", gettext_lazy("签署授权运营协议"))
AUTHORIZATION_ACTIVATE = actions.define("authz.activate", gettext_lazy("授权生效"))
AUTHORIZATION_SUSPEND = actions.define("authz.suspend", gettext_lazy("暂停授权"))
AUTHORIZATION_RESUME = actions.define("authz.resume", gettext_lazy("恢复授权"))
AUTHORIZATION_REVOKE = actions.define("authz.revoke", gettext_lazy("撤销授权"))
AUTHORIZATION_EXPIRE = actions.define("authz.expire", gettext_lazy("授权到期"))

MIN_SCORES = 2  # expert scores needed before the notice
CRITERIA = {  # expert scoring: criterion → (label, weight)
    "value": (gettext_lazy("场景价值与社会效益"), 0.30),
    "feasibility": (gettext_lazy("技术方案可行性"), 0.20),
    "security": (gettext_lazy("数据安全保障能力"), 0.30),
    "capability": (gettext_lazy("运营能力与信用"), 0.20),
}
DOCUMENT_TYPES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
# What one qualification profile may hold: a company's certificates, not a file store.
DOCUMENTS_PER_PROFILE = 50
DOCUMENTS_BYTES = 200 * 1024 * 1024


def download_name(document) -> str:
    """The name a stored document is downloaded under: the uploader's name up to its first dot,
    with the extension of the type its bytes were sniffed as — never the uploader's extension
    ("a.pdf.html" holding a PDF downloads as "a.pdf")."""
    extension = next(ext for content_type, ext in DOCUMENT_TYPES.values()
                     if content_type == document.content_type)  # fmt: skip
    stem = Path(document.filename).name.split(".", 1)[0].strip() or "document"
    return f"{stem}.{extension}"


def _deadline(status: str) -> date | None:
    days = STEP_DAYS.get(status)
    return add_working_days(timezone.localdate(), days) if days else None


def _link(application: Application) -> str:
    return reverse("authorization:application_detail", args=[application.pk])


def _move(application: Application, status: str, **extra) -> None:
    """Set the application's status and the deadline of the step it enters."""
    Application.objects.filter(pk=application.pk).update(
        status=status, step_deadline=_deadline(status), **extra
    )
    application.refresh_from_db()


def _tell_operator(application: Application, subject: str, body: str = "") -> None:
    notify(
        members(application.operator, Role.OPERATOR),
        subject=subject,
        body=body,
        link=_link(application),
    )


def _tell_bureau(application: Application, subject: str, body: str = "") -> None:
    notify(holders(Role.BUREAU_ADMIN), subject=subject, body=body, link=_link(application))


# --- Qualifications (资质) ----------------------------------------------------------------------

QUALIFICATION_FIELDS = (
    "dengbao_level",
    "dengbao_expires",
    "dcmm_level",
    "dsmm_level",
    "iso27001",
    "iso27001_expires",
    "no_dishonesty",
)


def save_qualification(organisation, *, by, submit: bool = False, **values) -> Qualification:
    """Update the operator's profile; any change sends it back for verification."""
    require(by, Perm.AUTHZ_APPLY)
    if by.organisation_id != organisation.pk:
        raise RuleViolation(_("只能维护本单位的资质档案。"))
    with transaction.atomic():
        q, _created = Qualification.objects.select_for_update().get_or_create(
            organisation=organisation
        )
        changes = {
            k: [str(getattr(q, k)), str(v)]
            for k, v in values.items()
            if k in QUALIFICATION_FIELDS and getattr(q, k) != v
        }
        for k, v in values.items():
            if k in QUALIFICATION_FIELDS:
                setattr(q, k, v)
        if changes or submit:
            q.status = QualificationStatus.SUBMITTED if submit else QualificationStatus.DRAFT
            q.verified_by, q.verified_at = None, None
        q.save()
        record(
            QUALIFICATION_SAVE,
            by=by,
            target=q,
            changes=changes,
            summary=_("%(org)s 更新资质档案") % {"org": organisation.name},
        )
    if submit:
        notify(
            holders(Role.BUREAU_ADMIN),
            subject=_("资质待核验：%(o)s") % {"o": organisation.name},
            link=reverse("authorization:qualification_list"),
        )
    return q


def documents_dir() -> Path:
    return Path(settings.DATA_DIR) / "documents"


def add_document(qualification: Qualification, upload, *, kind: str, by) -> QualificationDocument:
    """Store a PDF or image by its hash outside any served path; the type is sniffed from the
    bytes, never trusted from the name; 10 MiB at most."""
    require(by, Perm.AUTHZ_APPLY)
    if by.organisation_id != qualification.organisation_id:
        raise RuleViolation(_("只能为本单位上传资质材料。"))
    if upload.size > DOCUMENT_MAX_BYTES:
        raise RuleViolation(_("文件超过 10 MiB。"))
    held = qualification.documents.aggregate(n=Count("pk"), bytes=Sum("bytes"))
    if held["n"] >= DOCUMENTS_PER_PROFILE or (held["bytes"] or 0) + upload.size > DOCUMENTS_BYTES:
        raise RuleViolation(
            _("资质档案最多保存 %(n)d 份、共 %(size)s 的材料。")
            % {"n": DOCUMENTS_PER_PROFILE, "size": "200 MiB"}
        )
    head = next(upload.chunks(), b"")[:16]
    upload.seek(0)
    found = next((t for magic, t in DOCUMENT_TYPES.items() if head.startswith(magic)), None)
    if found is None:
        raise RuleViolation(_("只接受 PDF、PNG 或 JPEG 文件（按文件内容识别）。"))
    content_type, ext = found
    sha = hashlib.sha256()
    data = b"".join(upload.chunks())
    sha.update(data)
    digest = sha.hexdigest()
    target = documents_dir() / f"{digest}.{ext}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(data)
        target.chmod(0o440)
    with transaction.atomic():
        document = QualificationDocument.objects.create(
            qualification=qualification,
            kind=kind,
            filename=Path(upload.name).name[:255],
            stored=target.name,
            content_type=content_type,
            sha256=digest,
            bytes=len(data),
            uploaded_by=by,
        )
        record(
            QUALIFICATION_DOCUMENT,
            by=by,
            target=document,
            changes={"kind": kind, "sha256": digest},
            summary=_("上传资质材料 %(f)s") % {"f": document.filename},
        )
    return document


def verify_qualification(qualification: Qualification, *, by, approve: bool, note: str = ""):
    require(by, Perm.AUTHZ_DECIDE)
    if qualification.status != QualificationStatus.SUBMITTED:
        raise RuleViolation(_("该资质档案不在待核验状态。"))
    if not approve and not note.strip():
        raise RuleViolation(_("核验不通过须写明理由。"))
    with transaction.atomic():
        qualification.status = (
            QualificationStatus.VERIFIED if approve else QualificationStatus.REJECTED
        )
        qualification.note = note
        qualification.verified_by, qualification.verified_at = by, timezone.now()
        qualification.save()
        record(
            QUALIFICATION_VERIFY,
            by=by,
            target=qualification,
            changes={"status": qualification.status, "note": note},
            summary=_("核验 %(o)s 的资质：%(s)s")
            % {"o": qualification.organisation.name, "s": qualification.get_status_display()},
        )
    notify(
        members(qualification.organisation, Role.OPERATOR),
        subject=_("资质核验结果：%(s)s") % {"s": qualification.get_status_display()},
        body=note,
        link=reverse("authorization:qualification"),
    )
    return qualification


# --- Applications (申请) ------------------------------------------------------------------------

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


def create_application(*, by, renewal_of=None, **values) -> Application:
    require(by, Perm.AUTHZ_APPLY)
    with transaction.atomic():
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
            summary=_("创建授权申请 %(c)s：%(s)s")
            % {"c": application.code, "s": application.scenario},
        )
    return application


def _own_editable(application: Application, by) -> None:
    require(by, Perm.AUTHZ_APPLY)
    if application.operator_id != by.organisation_id:
        raise RuleViolation(_("只能修改本单位的申请。"))
    if not application.is_editable:
        raise RuleViolation(_("申请已提交，不能修改；如需修改请先撤回或等待退回补正。"))


def update_application(application: Application, *, by, **values) -> Application:
    _own_editable(application, by)
    with transaction.atomic():
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
    _own_editable(application, by)
    if not set(output_forms) <= set(OutputForm.values) or not output_forms:
        raise RuleViolation(_("请选择至少一种输出形式。"))
    if not fields:
        raise RuleViolation(_("请至少选择一个字段，并写明用途。"))
    for f in fields:
        if f["field"].resource_id != resource.pk:
            raise RuleViolation(_("字段不属于所选数据资源。"))
        if not f["purpose"].strip():
            raise RuleViolation(_("请写明每个字段的使用目的。"))
    with transaction.atomic():
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


def remove_item(item: DemandItem, *, by) -> None:
    _own_editable(item.application, by)
    with transaction.atomic():
        record(
            APPLICATION_SAVE,
            by=by,
            target=item.application,
            changes={"removed": item.resource.code},
            summary=_("申请 %(c)s 移除需求：%(r)s")
            % {"c": item.application.code, "r": item.resource.name},
        )
        item.delete()


def submit(application: Application, *, by) -> list[precheck.Finding]:
    """Run the compliance pre-check; with no errors the application goes to the bureau for
    acceptance, otherwise it stays editable and the findings say what to fix."""
    _own_editable(application, by)
    findings = precheck.run(application)
    blocked = [f for f in findings if f.severity == "error"]
    with transaction.atomic():
        Application.objects.filter(pk=application.pk).update(
            precheck=[f.as_dict() for f in findings]
        )
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
            _move(
                application,
                ApplicationStatus.SUBMITTED,
                submitted_at=timezone.now(),
                return_reason="",
            )
            record(
                APPLICATION_SUBMIT,
                by=by,
                target=application,
                summary=_("提交授权申请 %(c)s") % {"c": application.code},
            )
            _tell_bureau(
                application,
                _("新的授权申请待受理：%(c)s %(s)s")
                % {"c": application.code, "s": application.scenario},
            )
    application.refresh_from_db()
    return findings


def withdraw(application: Application, *, by, reason: str = "") -> None:
    require(by, Perm.AUTHZ_APPLY)
    if application.operator_id != by.organisation_id:
        raise RuleViolation(_("只能撤回本单位的申请。"))
    if application.status not in (
        ApplicationStatus.DRAFT,
        ApplicationStatus.RETURNED,
        *OPEN_STATUSES,
    ):
        raise RuleViolation(_("该申请已有决定，不能撤回。"))
    with transaction.atomic():
        _move(application, ApplicationStatus.WITHDRAWN)
        record(
            APPLICATION_WITHDRAW,
            by=by,
            target=application,
            changes={"reason": reason},
            summary=_("撤回授权申请 %(c)s") % {"c": application.code},
        )
    _tell_bureau(application, _("申请已撤回：%(c)s") % {"c": application.code}, reason)


# --- Review (审查) ------------------------------------------------------------------------------


def _expect(application: Application, status: str) -> None:
    if application.status != status:
        raise RuleViolation(
            _("申请当前为“%(now)s”，不能进行此操作。") % {"now": application.get_status_display()}
        )


def accept(application: Application, *, by) -> None:
    """受理: ask each providing department for its opinion."""
    require(by, Perm.AUTHZ_DECIDE)
    _expect(application, ApplicationStatus.SUBMITTED)
    providers = {
        i.resource.provider for i in application.items.select_related("resource__provider")
    }
    with transaction.atomic():
        for provider in providers:
            Opinion.objects.get_or_create(application=application, provider=provider)
        _move(application, ApplicationStatus.OPINIONS)
        record(
            APPLICATION_ACCEPT,
            by=by,
            target=application,
            summary=_("受理授权申请 %(c)s") % {"c": application.code},
        )
    _tell_operator(application, _("申请已受理：%(c)s") % {"c": application.code})
    for provider in providers:
        notify(
            members(provider, Role.PROVIDER),
            link=_link(application),
            subject=_("请对授权申请提出意见：%(c)s %(s)s")
            % {"c": application.code, "s": application.scenario},
        )


def return_for_correction(application: Application, *, by, reason: str) -> None:
    require(by, Perm.AUTHZ_DECIDE)
    if application.status not in OPEN_STATUSES or application.status == ApplicationStatus.NOTICE:
        raise RuleViolation(_("该申请当前不能退回。"))
    if not reason.strip():
        raise RuleViolation(_("退回补正须写明理由。"))
    with transaction.atomic():
        application.opinions.all().delete()
        application.scores.all().delete()
        _move(application, ApplicationStatus.RETURNED, return_reason=reason)
        record(
            APPLICATION_RETURN,
            by=by,
            target=application,
            changes={"reason": reason},
            summary=_("退回补正 %(c)s") % {"c": application.code},
        )
    _tell_operator(application, _("申请被退回补正：%(c)s") % {"c": application.code}, reason)


def give_opinion(application: Application, *, by, verdict: str, text: str) -> Opinion:
    require(by, Perm.AUTHZ_OPINE)
    _expect(application, ApplicationStatus.OPINIONS)
    opinion = application.opinions.filter(provider_id=by.organisation_id).first()
    if opinion is None:
        raise RuleViolation(_("本单位的数据不在该申请中，无需提出意见。"))
    if verdict not in Verdict.values:
        raise RuleViolation(_("请选择意见。"))
    if verdict != Verdict.AGREE and not text.strip():
        raise RuleViolation(_("有条件同意或不同意须写明理由。"))
    with transaction.atomic():
        opinion.verdict, opinion.text = verdict, text
        opinion.given_by, opinion.given_at = by, timezone.now()
        opinion.save()
        record(
            OPINION_GIVE,
            by=by,
            target=application,
            changes={"verdict": verdict},
            summary=_("%(p)s 对 %(c)s 提出意见：%(v)s")
            % {
                "p": by.organisation.name,
                "c": application.code,
                "v": opinion.get_verdict_display(),
            },
        )
        if not application.opinions.filter(verdict="").exists():
            _move(application, ApplicationStatus.ASSESSMENT, risk=risk.assess(application))
            _tell_bureau(
                application, _("提供单位意见已齐，待事前评估：%(c)s") % {"c": application.code}
            )
    return opinion


def complete_assessment(application: Application, *, by, note: str = "") -> None:
    """事前评估: the bureau confirms the computed risk (recomputed now) and opens scoring."""
    require(by, Perm.AUTHZ_DECIDE)
    _expect(application, ApplicationStatus.ASSESSMENT)
    assessment = risk.assess(application) | {"note": note}
    with transaction.atomic():
        _move(application, ApplicationStatus.SCORING, risk=assessment)
        record(
            ASSESSMENT_DONE,
            by=by,
            target=application,
            changes={"score": assessment["score"], "level": assessment["level"]},
            summary=_("完成 %(c)s 事前评估：风险 %(s)d 分")
            % {"c": application.code, "s": assessment["score"]},
        )
    reviewers = [u for u in holders(Role.REVIEWER) if u.organisation_id != application.operator_id]
    notify(
        reviewers,
        link=_link(application),
        subject=_("请评审授权申请：%(c)s %(s)s")
        % {"c": application.code, "s": application.scenario},
    )


def conflict_of(application: Application, reviewer) -> str | None:
    """Why `reviewer` may not score `application`, or None: an author, or anyone of the
    applying organisation, can never review its own."""
    if reviewer.organisation_id == application.operator_id:
        return _("评审专家不得评审本单位的申请（利益冲突）。")
    if application.created_by_id == reviewer.pk:
        return _("申请人不得评审自己的申请（利益冲突）。")
    return None


def score(
    application: Application, *, by, criteria: dict[str, int], comment: str, no_conflict: bool
) -> Score:
    require(by, Perm.AUTHZ_SCORE)
    _expect(application, ApplicationStatus.SCORING)
    conflict = conflict_of(application, by)
    if conflict:
        raise RuleViolation(conflict)
    if not no_conflict:
        raise RuleViolation(_("评分前须声明与申请单位不存在利益冲突；存在冲突请选择回避。"))
    if set(criteria) != set(CRITERIA) or not all(0 <= int(v) <= 100 for v in criteria.values()):
        raise RuleViolation(_("每项评分须在 0–100 之间。"))
    total = round(sum(int(criteria[k]) * w for k, (_l, w) in CRITERIA.items()), 2)
    with transaction.atomic():
        if application.scores.filter(reviewer=by).exists():
            raise RuleViolation(_("您已评审过该申请。"))
        result = Score.objects.create(
            application=application,
            reviewer=by,
            criteria={k: int(v) for k, v in criteria.items()},
            total=total,
            comment=comment,
            no_conflict_declared=True,
        )
        record(
            SCORE_GIVE,
            by=by,
            target=application,
            changes={"total": total},
            summary=_("专家评审 %(c)s：%(t)s 分") % {"c": application.code, "t": total},
        )
    return result


def recuse(application: Application, *, by, reason: str) -> Score:
    require(by, Perm.AUTHZ_SCORE)
    _expect(application, ApplicationStatus.SCORING)
    with transaction.atomic():
        if application.scores.filter(reviewer=by).exists():
            raise RuleViolation(_("您已评审过该申请。"))
        result = Score.objects.create(
            application=application, reviewer=by, recused=True, recusal_reason=reason
        )
        record(
            SCORE_RECUSE,
            by=by,
            target=application,
            changes={"reason": reason},
            summary=_("专家回避评审 %(c)s") % {"c": application.code},
        )
    return result


def notice_days() -> int:
    return settings.AUTHZ_NOTICE_DAYS


def close_scoring(application: Application, *, by) -> None:
    """Enough scores: publish the notice (公示) for the configured number of working days."""
    require(by, Perm.AUTHZ_DECIDE)
    _expect(application, ApplicationStatus.SCORING)
    counted = application.scores.filter(recused=False).count()
    if counted < MIN_SCORES:
        raise RuleViolation(
            _("至少需要 %(n)d 位专家评分（当前 %(c)d 位）。") % {"n": MIN_SCORES, "c": counted}
        )
    today = timezone.localdate()
    with transaction.atomic():
        Application.objects.filter(pk=application.pk).update(
            status=ApplicationStatus.NOTICE,
            notice_starts=today,
            notice_ends=add_working_days(today, notice_days()),
            step_deadline=add_working_days(today, notice_days()),
        )
        application.refresh_from_db()
        record(
            SCORING_CLOSE,
            by=by,
            target=application,
            changes={
                "mean_score": application.mean_score,
                "notice_ends": application.notice_ends.isoformat(),
            },
            summary=_("%(c)s 评审结束，公示至 %(d)s")
            % {"c": application.code, "d": application.notice_ends},
        )
    _tell_operator(
        application,
        _("申请进入公示：%(c)s，公示至 %(d)s")
        % {"c": application.code, "d": application.notice_ends},
    )


def raise_objection(application: Application, *, name: str, contact: str, text: str):
    """Anyone may object while the notice runs."""
    today = timezone.localdate()
    if application.status != ApplicationStatus.NOTICE or today > application.notice_ends:
        raise RuleViolation(_("该申请不在公示期内。"))
    if not (name.strip() and contact.strip() and text.strip()):
        raise RuleViolation(_("请填写姓名（或单位）、联系方式和异议内容。"))
    with transaction.atomic():
        # Two identical objections at once (a double click): one after the other, so the
        # second finds the first.
        Application.objects.select_for_update().filter(pk=application.pk).first()
        objection = submissions.create_once(
            NoticeObjection,
            prefix="GS",
            parts=(application.pk, name, contact, text),
            created="created_at",
            application=application,
            name=name[:100],
            contact=contact[:100],
            text=text[:2000],
        )
        if objection.repeated:
            return objection
        record(
            NOTICE_OBJECTION,
            by=None,
            target=application,
            changes={"objection": objection.pk},
            summary=_("收到对 %(c)s 的公示异议") % {"c": application.code},
        )
    _tell_bureau(application, _("收到公示异议：%(c)s") % {"c": application.code})
    return objection


def track_objection(number: str) -> dict | None:
    """What the person who objected may see of it, by its tracking number (受理编号)."""
    objection = (
        NoticeObjection.objects.select_related("application").filter(tracking_no=number).first()
    )
    if objection is None:
        return None
    return {
        "kind": _("授权公示异议"),
        "subject": objection.application.code,
        "received": objection.created_at,
        "status": submissions.objection_status(objection.answered_at, objection.upheld),
        "response": objection.response,
        "answered": objection.answered_at,
        "contact": objection.contact,
    }


def answer_objection(objection: NoticeObjection, *, by, response: str, upheld: bool) -> None:
    require(by, Perm.AUTHZ_DECIDE)
    if not response.strip():
        raise RuleViolation(_("请填写答复。"))
    with transaction.atomic():
        objection.response, objection.upheld = response, upheld
        objection.answered_by, objection.answered_at = by, timezone.now()
        objection.save()
        record(
            NOTICE_ANSWER,
            by=by,
            target=objection.application,
            changes={"objection": objection.pk, "upheld": upheld},
            summary=_("答复 %(c)s 的公示异议") % {"c": objection.application.code},
        )


def close_notice(application: Application, *, by) -> None:
    require(by, Perm.AUTHZ_DECIDE)
    _expect(application, ApplicationStatus.NOTICE)
    if timezone.localdate() <= application.notice_ends:
        raise RuleViolation(_("公示期至 %(d)s，期满后方可决定。") % {"d": application.notice_ends})
    if application.objections.filter(answered_at__isnull=True).exists():
        raise RuleViolation(_("还有未答复的公示异议。"))
    with transaction.atomic():
        _move(application, ApplicationStatus.DECISION)
        record(
            NOTICE_CLOSE,
            by=by,
            target=application,
            summary=_("%(c)s 公示期满，待决定") % {"c": application.code},
        )


# --- Competition and decision (公平竞争、决定) ---------------------------------------------


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


def decide(
    application: Application,
    *,
    by,
    approve: bool,
    reason: str,
    passed_over_reason: str = "",
    limits: dict | None = None,
) -> Agreement | None:
    """The bureau's decision with reasons. Approval re-runs the pre-check (qualifications and
    caps may have changed since submission), checks the ranking, and generates the agreement."""
    require(by, Perm.AUTHZ_DECIDE)
    _expect(application, ApplicationStatus.DECISION)
    if not reason.strip():
        raise RuleViolation(_("决定须写明理由。"))
    agreement = None
    if approve:
        blocked = [f for f in precheck.run(application) if f.severity == "error"]
        if blocked:
            raise RuleViolation(_("合规预检未通过，不能批准：%(m)s") % {"m": blocked[0].message})
        ranking = competitors(application)
        better = [
            a
            for a in ranking
            if a.pk != application.pk and (a.mean_score or 0) > (application.mean_score or 0)
        ]
        if better and not passed_over_reason.strip():
            raise RuleViolation(
                _("%(c)s 得分更高（%(s)s 分），越过排名批准须书面说明理由。")
                % {"c": better[0].code, "s": better[0].mean_score}
            )
    with transaction.atomic():
        status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
        _move(
            application,
            status,
            decision_reason=reason,
            decided_at=timezone.now(),
            passed_over_reason=passed_over_reason,
        )
        if approve:
            agreement = _make_agreement(application, by=by, limits=limits or {})
        record(
            APPLICATION_DECIDE,
            by=by,
            target=application,
            changes={
                "approve": approve,
                "reason": reason,
                "passed_over_reason": passed_over_reason,
                "agreement_sha256": agreement.sha256 if agreement else None,
            },
            summary=_("%(c)s:%(d)s")
            % {"c": application.code, "d": application.get_status_display()},
        )
    _tell_operator(
        application,
        _("授权决定：%(c)s %(d)s") % {"c": application.code, "d": application.get_status_display()},
        reason,
    )
    return agreement


DEFAULT_LIMITS = {
    "epsilon_total": "3.0",
    "epsilon_query_min": "0.01",
    "epsilon_query_max": "1.0",
    "daily_queries": 500,
    "monthly_calls": 100_000,
    "fee_cap_yuan": "0",
    "revenue_share_percent": "10",
}


def _make_agreement(application: Application, *, by, limits: dict) -> Agreement:
    limits = DEFAULT_LIMITS | {k: v for k, v in limits.items() if v not in (None, "")}
    starts = timezone.localdate()
    ends = add_months(starts, application.term_months) - timedelta(days=1)
    grantor = by.organisation
    operator = application.operator
    scope = []
    for item in application.items.select_related("resource").prefetch_related("fields__field"):
        scope.append(
            {
                "resource_code": item.resource.code,
                "resource_name": item.resource.name,
                "grade": str(item.resource.get_grade_display()),
                "fields": [
                    {
                        "name": d.field.name,
                        "label": d.field.label or d.field.name,
                        "purpose": d.purpose,
                    }
                    for d in item.fields.all()
                ],
                "output_forms": [str(OutputForm(f).label) for f in item.output_forms],
                "output_form_codes": list(item.output_forms),
            }
        )
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
        "scope": scope,
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


# --- Agreement signing and the authorization (签署、授权) ------------------------------------


def sign_agreement(agreement: Agreement, *, by) -> Signature:
    """One party signs: the bureau for the city (grantor), the operator for itself. When both
    have signed, the authorization becomes active and the signed hash goes on the ledger."""
    application = agreement.application
    _expect(application, ApplicationStatus.APPROVED)
    grantor_code = agreement.terms["grantor"]["credit_code"]
    operator_code = agreement.terms["operator"]["credit_code"]
    if by.organisation.credit_code == grantor_code:
        require(by, Perm.AUTHZ_DECIDE)
    elif (
        by.organisation_id == application.operator_id
        and by.organisation.credit_code == operator_code
    ):
        require(by, Perm.AUTHZ_APPLY)
    else:
        raise RuleViolation(_("只有协议双方可以签署。"))
    if agreements.digest(agreement.terms) != agreement.sha256:
        raise RuleViolation(_("协议文本与生成时的摘要不一致，不能签署。"))
    key = agreements.key_for(by.organisation)
    with transaction.atomic():
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
    if agreement.signatures.count() < 2:
        other = application.operator if by.organisation_id != application.operator_id else None
        recipients = members(other, Role.OPERATOR) if other else holders(Role.BUREAU_ADMIN)
        notify(
            recipients,
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
    _move(application, ApplicationStatus.ACTIVE)
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
    transaction.on_commit(lambda: schedule_expiry(authorization))
    _tell_operator(application, _("授权已生效：%(c)s") % {"c": authorization.code})
    return authorization


def schedule_expiry(authorization: Authorization) -> None:
    """Queue the task that expires the authorization at the end of its last day."""
    from pdao.authorization.tasks import expire_authorization

    end = datetime.combine(authorization.ends_on + timedelta(days=1), time.min)
    run_after = timezone.make_aware(end)
    expire_authorization.using(run_after=run_after).enqueue(authorization.pk)


def _change_status(authorization: Authorization, status: str, *, by, reason: str, action) -> None:
    with transaction.atomic():
        old = authorization.status
        Authorization.objects.filter(pk=authorization.pk).update(
            status=status, status_reason=reason, revision=F("revision") + 1
        )
        authorization.refresh_from_db()
        state = {
            "authorization": authorization.code,
            "status": status,
            "from": old,
            "revision": authorization.revision,
        }
        ledger.anchor(
            f"authorization.{status}",
            content_hash=hashlib.sha256(canonical(state)).hexdigest(),
            by=by,
            target=authorization,
        )
        record(
            action,
            by=by,
            target=authorization,
            changes={"status": [old, status], "reason": reason},
            summary=_("授权 %(c)s：%(a)s → %(b)s")
            % {
                "c": authorization.code,
                "a": AuthorizationStatus(old).label,
                "b": AuthorizationStatus(status).label,
            },
        )
    notify(
        members(authorization.operator, Role.OPERATOR),
        body=reason,
        subject=_("授权状态变更：%(c)s %(s)s")
        % {"c": authorization.code, "s": authorization.get_status_display()},
        link=reverse("authorization:authorization_detail", args=[authorization.pk]),
    )


def suspend(authorization: Authorization, *, by, reason: str) -> None:
    """暂停: effective for the very next access decision (the revision changes)."""
    require(by, Perm.AUTHZ_SUSPEND)
    if authorization.status != AuthorizationStatus.ACTIVE:
        raise RuleViolation(_("只有有效的授权可以暂停。"))
    if not reason.strip():
        raise RuleViolation(_("暂停须写明理由。"))
    _change_status(
        authorization,
        AuthorizationStatus.SUSPENDED,
        by=by,
        reason=reason,
        action=AUTHORIZATION_SUSPEND,
    )


def resume(authorization: Authorization, *, by, reason: str) -> None:
    require(by, Perm.AUTHZ_DECIDE)
    if authorization.status != AuthorizationStatus.SUSPENDED:
        raise RuleViolation(_("只有已暂停的授权可以恢复。"))
    if not reason.strip():
        raise RuleViolation(_("恢复须写明理由。"))
    if timezone.localdate() > authorization.ends_on:
        raise RuleViolation(_("授权期限已届满，不能恢复；请申请续期。"))
    _change_status(
        authorization, AuthorizationStatus.ACTIVE, by=by, reason=reason, action=AUTHORIZATION_RESUME
    )


def revoke(authorization: Authorization, *, by, reason: str) -> None:
    require(by, Perm.AUTHZ_DECIDE)
    if authorization.status not in (AuthorizationStatus.ACTIVE, AuthorizationStatus.SUSPENDED):
        raise RuleViolation(_("该授权已终止。"))
    if not reason.strip():
        raise RuleViolation(_("撤销须写明理由。"))
    _change_status(
        authorization,
        AuthorizationStatus.REVOKED,
        by=by,
        reason=reason,
        action=AUTHORIZATION_REVOKE,
    )


def expire_if_due(authorization_id: int, *, today: date | None = None) -> bool:
    """Expire one authorization whose term has ended (the scheduled task's work); a term
    that was extended meanwhile is left alone and rescheduled."""
    today = today or timezone.localdate()
    authorization = Authorization.objects.filter(pk=authorization_id).first()
    if authorization is None or authorization.status not in (
        AuthorizationStatus.ACTIVE,
        AuthorizationStatus.SUSPENDED,
    ):
        return False
    if today <= authorization.ends_on:
        transaction.on_commit(lambda: schedule_expiry(authorization))
        return False
    _change_status(
        authorization,
        AuthorizationStatus.EXPIRED,
        by=None,
        reason=_("授权期限届满"),
        action=AUTHORIZATION_EXPIRE,
    )
    return True


def expire_due(*, today: date | None = None) -> list[str]:
    """Expire every live authorization past its term (a safety net beside the scheduled
    tasks: `manage.py expire_authorizations`)."""
    today = today or timezone.localdate()
    due = Authorization.objects.filter(
        status__in=(AuthorizationStatus.ACTIVE, AuthorizationStatus.SUSPENDED), ends_on__lt=today
    )
    return [a.code for a in due if expire_if_due(a.pk, today=today)]


def renew(authorization: Authorization, *, by) -> Application:
    """续期: a new application prefilled from the old one (the review starts again)."""
    require(by, Perm.AUTHZ_APPLY)
    if authorization.operator_id != by.organisation_id:
        raise RuleViolation(_("只能为本单位的授权申请续期。"))
    old = authorization.application
    with transaction.atomic():
        application = create_application(
            by=by,
            renewal_of=authorization,
            **{k: getattr(old, k) for k in APPLICATION_FIELDS},
        )
        for item in old.items.prefetch_related("fields"):
            new_item = DemandItem.objects.create(
                application=application,
                resource=item.resource,
                output_forms=item.output_forms,
                volume=item.volume,
                frequency=item.frequency,
            )
            DemandField.objects.bulk_create(
                DemandField(
                    item=new_item,
                    field_id=d.field_id,
                    purpose=d.purpose,
                    justification=d.justification,
                )
                for d in item.fields.all()
            )
    return application


# --- The bureau's tables: qualification requirements and caps ---------------------------------

RULES_SAVE = actions.define("authz.rules", gettext_lazy("修改资质要求与总量上限"))
# Ledger entry types that are not audit actions, by their names (the ledger's pages).
actions.define("authorization.agreement", gettext_lazy("授权运营协议签署"))


def save_rules(*, by, data) -> None:
    """Apply the rules page: each grade's requirements, caps to delete, a cap to add."""
    from pdao.authorization.models import Cap, QualificationRule

    require(by, Perm.AUTHZ_DECIDE)
    changes = {}
    with transaction.atomic():
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
        for key in [k for k in data if k.startswith("delete-cap-")]:
            cap = Cap.objects.filter(pk=key.removeprefix("delete-cap-")).first()
            if cap is not None:
                changes[f"cap-{cap.pk}"] = [str(cap), None]
                cap.delete()
        if data.get("new_max"):
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
        record(
            RULES_SAVE,
            by=by,
            target_ref=("authorization.rules", "table"),
            changes=changes,
            summary=_("修改资质要求与总量上限（%(n)d 项）") % {"n": len(changes)},
        )


def _level(value, maximum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RuleViolation(_("请输入整数。")) from None
    if not 0 <= number <= maximum:
        raise RuleViolation(_("数值超出范围（0–%(m)d）。") % {"m": maximum})
    return number
