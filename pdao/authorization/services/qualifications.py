"""资质: an operator's qualification profile, its documents, and the bureau's verification."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization.choices import QualificationStatus
from pdao.authorization.models import Qualification, QualificationDocument
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, require
from pdao.notifications.services import holders, members, notify

QUALIFICATION_SAVE = actions.define("authz.qualification", gettext_lazy("更新资质档案"))
QUALIFICATION_DOCUMENT = actions.define("authz.document", gettext_lazy("上传资质材料"))
QUALIFICATION_VERIFY = actions.define("authz.qualification_verify", gettext_lazy("核验资质"))

QUALIFICATION_FIELDS = (
    "dengbao_level",
    "dengbao_expires",
    "dcmm_level",
    "dsmm_level",
    "iso27001",
    "iso27001_expires",
    "no_dishonesty",
)
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


def documents_dir() -> Path:
    return Path(settings.DATA_DIR) / "documents"


@transaction.atomic
def save_qualification(organisation, *, by, submit: bool = False, **values) -> Qualification:
    """Update the operator's profile; any change sends it back for verification."""
    require(by, Perm.AUTHZ_APPLY)
    if by.organisation_id != organisation.pk:
        raise RuleViolation(_("只能维护本单位的资质档案。"))
    q, _created = Qualification.objects.select_for_update().get_or_create(organisation=organisation)
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


def sniffed(upload) -> tuple[str, str]:
    """(content type, extension) read from the upload's first bytes, never from its name."""
    head = next(upload.chunks(), b"")[:16]
    upload.seek(0)
    found = next((t for magic, t in DOCUMENT_TYPES.items() if head.startswith(magic)), None)
    if found is None:
        raise RuleViolation(_("只接受 PDF、PNG 或 JPEG 文件（按文件内容识别）。"))
    return found


@transaction.atomic
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
    content_type, ext = sniffed(upload)
    data = b"".join(upload.chunks())
    digest = hashlib.sha256(data).hexdigest()
    # Stored by content: a rolled-back upload leaves at most a file the next identical
    # upload reuses, never a record pointing at nothing.
    target = documents_dir() / f"{digest}.{ext}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(data)
        target.chmod(0o440)
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


@transaction.atomic
def verify_qualification(
    qualification: Qualification, *, by, approve: bool, note: str = ""
) -> Qualification:
    require(by, Perm.AUTHZ_DECIDE)
    if qualification.status != QualificationStatus.SUBMITTED:
        raise RuleViolation(_("该资质档案不在待核验状态。"))
    if not approve and not note.strip():
        raise RuleViolation(_("核验不通过须写明理由。"))
    qualification.status = QualificationStatus.VERIFIED if approve else QualificationStatus.REJECTED
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
