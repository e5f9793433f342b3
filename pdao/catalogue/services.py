"""State changes of the catalogue. Views and commands call these, never `.save()`."""

import hashlib
import logging
import shutil
import threading
import time
import traceback
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.move import file_move_safe
from django.db import DatabaseError, connections, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.accounts.models import Organisation
from pdao.audit import actions
from pdao.audit.services import record
from pdao.catalogue import excel, ingest, quality
from pdao.catalogue.choices import (
    Grade,
    GradingStatus,
    HarmObject,
    PIKind,
    UpdateMode,
    VersionStatus,
)
from pdao.catalogue.models import Field, IngestJob, QualityRule, Resource, Version
from pdao.catalogue.tasks import run_ingest
from pdao.core import files, sandbox
from pdao.core.identity import SCHEDULER
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation
from pdao.ledger import services as ledger
from pdao.ledger.entry import canonical

RESOURCE_REGISTER = actions.define("dataset.register", gettext_lazy("登记数据资源"))
VERSION_INGEST = actions.define("dataset.version", gettext_lazy("归集数据版本"))
VERSION_REJECTED = actions.define("dataset.version_rejected", gettext_lazy("数据版本校验未通过"))
VERSION_ACTIVATE = actions.define("dataset.activate", gettext_lazy("启用数据版本"))
INGEST_QUEUED = actions.define("dataset.ingest_queued", gettext_lazy("提交归集任务"))
INGEST_INTERRUPTED = actions.define("dataset.ingest_interrupted", gettext_lazy("归集任务中断"))
INGEST_RETRIED = actions.define("dataset.ingest_retried", gettext_lazy("重试归集任务"))
FIELD_TAG = actions.define("dataset.tag_field", gettext_lazy("标注字段"))
GRADING_REVIEW = actions.define("dataset.grading", gettext_lazy("审定数据分级"))
QUALITY_RULE_ADD = actions.define("dataset.quality_rule", gettext_lazy("设置质量规则"))
QUALITY_FAILED = actions.define("dataset.quality_failed", gettext_lazy("数据质量未达标"))

RESOURCE_ATTRIBUTES = (
    "name",
    "description",
    "responsible_unit",
    "responsible_person",
    "domain",
    "theme",
    "sharing",
    "opening",
    "frequency",
    "grade",
    "harm_objects",
    "tags",
    "is_synthetic",
)
FIELD_ATTRIBUTES = (
    "name",
    "label",
    "type",
    "unit",
    "description",
    "required",
    "choices",
    "pattern",
    "sensitivity",
    "pi_kind",
    "is_privacy_unit",
    "is_quasi_identifier",
    "bound_low",
    "bound_high",
)


def versions_dir() -> Path:
    """Where version files live: under PDAO_DATA_DIR, never under a served path."""
    return Path(settings.DATA_DIR) / "versions"


def incoming_dir() -> Path:
    """Where uploads wait for the worker: under PDAO_DATA_DIR too (raw data stays in the zone's
    storage from the first byte; Django's upload temp files are put here by the settings)."""
    return Path(settings.DATA_DIR) / "incoming"


def next_code(provider: Organisation) -> str:
    """目录编码: <6-digit division code>-<3-digit provider number>-<5-digit sequence>,
    e.g. 450200-004-00012 — the department, then its resources in registration order."""
    prefix = f"{provider.division_code}-{provider.pk:03d}-"
    taken = Resource.objects.filter(code__startswith=prefix).count()
    return f"{prefix}{taken + 1:05d}"


@transaction.atomic
def register_resource(*, by, provider: Organisation, fields: list[dict], **attributes) -> Resource:
    """Register a resource of `provider` with its fields (each a dict of FIELD_ATTRIBUTES)."""
    if (
        by is not None
        and by.organisation_id != provider.pk
        and not by.has_perm(Perm.ORGANISATIONS_MANAGE)
    ):
        raise RuleViolation(_("只能登记本单位的数据资源。"))
    if not fields:
        raise RuleViolation(_("数据资源至少需要一个字段。"))
    resource = Resource(
        code=next_code(provider),
        provider=provider,
        **{k: attributes[k] for k in RESOURCE_ATTRIBUTES if k in attributes},
    )
    resource.full_clean()
    resource.save()
    for position, spec in enumerate(fields, 1):
        field = Field(
            resource=resource,
            position=position,
            **{k: spec[k] for k in FIELD_ATTRIBUTES if k in spec},
        )
        field.full_clean(exclude=["resource"])
        field.save()
    record(
        RESOURCE_REGISTER,
        by=by,
        target=resource,
        summary=_("登记数据资源 %(code)s「%(name)s」，%(n)d 个字段")
        % {"code": resource.code, "name": resource.name, "n": len(fields)},
    )
    return resource


def column_specs(resource: Resource) -> list[ingest.Column]:
    return [
        ingest.Column(
            name=f.name,
            type=f.type,
            required=f.required,
            choices=tuple(f.choices),
            pattern=f.pattern,
            label=f.label,
        )
        for f in resource.fields.order_by("position")
    ]


def ingest_version(
    resource: Resource,
    source: Path,
    *,
    by,
    declared_format: str | None = None,
    mode: str = UpdateMode.REPLACE,
    progress: ingest.Progress = ingest._no_progress,
    usage: list[sandbox.Usage] | None = None,
) -> Version:
    """归集: validate and store `source` as the next version of `resource` (not yet active).

    The file is inspected against the version limits and parsed in a child process with limits
    of its own (pdao.core.files, pdao.core.sandbox), outside any transaction. On bad input —
    a file over a limit included — raises ingest.IngestError after recording the refusal (no
    values, only rows, columns, kinds and limits); the active version is untouched either way.
    `usage`, if a list, gets the parse's peak memory and CPU time.
    """
    if by is not None and not Resource.objects.supplied_by(by).filter(pk=resource.pk).exists():
        raise RuleViolation(_("只有该资源的提供单位可以归集其数据版本。"))
    result = _parse(
        resource,
        Path(source),
        by=by,
        declared_format=declared_format,
        progress=progress,
        usage=usage,
    )
    return _register_version(resource, result, by=by, mode=mode, progress=progress)


def _parse(
    resource: Resource, source: Path, *, by, declared_format, progress, usage
) -> ingest.Result:
    """`source` parsed and stored as a Parquet file by ingest.ingest in a limited child
    process, with a working directory of its own that is removed afterwards. A refused file
    (a limit of the child process included) is recorded on the resource, then raised as
    ingest.IngestError."""
    work_root = versions_dir() / f".work-{uuid.uuid4().hex}"
    work_root.mkdir(parents=True)
    try:
        return sandbox.run(
            ingest.ingest,
            source,
            columns=column_specs(resource),
            dest_dir=versions_dir(),
            declared_format=declared_format,
            memory_limit=settings.INGEST_DUCKDB_MEMORY,
            file_limits=files.limits("version"),
            work_root=work_root,
            limits=sandbox.limits("version"),
            progress=progress,
            passes=(ingest.IngestError,),
            usage=usage,
        )
    except sandbox.LimitExceeded as exceeded:
        error = ingest.IngestError([ingest.Problem("limit", str(exceeded))])
        _reject(resource, error, by=by)
        raise error from None
    except ingest.IngestError as error:
        _reject(resource, error, by=by)
        raise
    finally:
        shutil.rmtree(work_root, ignore_errors=True)


def _reject(resource: Resource, error: ingest.IngestError, *, by) -> None:
    with transaction.atomic():
        record(
            VERSION_REJECTED,
            by=by,
            target=resource,
            changes={"problems": [str(p) for p in error.problems[:20]]},
            summary=_("%(code)s 的新版本未通过校验：%(first)s")
            % {"code": resource.code, "first": error.problems[0]},
        )


def _register_version(resource: Resource, result: ingest.Result, *, by, mode, progress) -> Version:
    """A parsed file as the next version: appended if asked, quality
    checked, anchored on the ledger, in one short transaction."""
    path, sha256, rows, size = _content(resource, result, mode)
    progress("quality", 0, 0)
    score, outcomes = quality.evaluate(path, quality_rules(resource))
    with transaction.atomic():
        version = Version.objects.create(
            resource=resource,
            number=(resource.versions.aggregate(n=Max("number"))["n"] or 0) + 1,
            mode=mode,
            status=VersionStatus.READY,
            path=path.name,
            sha256=sha256,
            rows=rows,
            bytes=size,
            source_format=result.format,
            encoding=result.encoding,
            pi_findings=[f.__dict__ for f in result.pi],
            quality_score=score,
            quality_report=[o.as_dict() for o in outcomes],
            created_by=by if (by is not None and by.is_authenticated) else None,
        )
        _record_version(version, result, by=by)
        _record_quality_failures(version, outcomes, score, by=by)
    return version


def _content(resource: Resource, result: ingest.Result, mode: str) -> tuple[Path, str, int, int]:
    """The next version's file, SHA-256, rows and bytes: the parsed file's own, or for an
    append a new file holding the active version's rows, then the parsed file's."""
    if mode != UpdateMode.APPEND:
        return result.path, result.sha256, result.rows, result.bytes
    current = resource.active_version
    if current is None:
        raise RuleViolation(_("尚无当前版本，不能追加；请先全量归集。"))
    return ingest.concatenate(versions_dir() / current.path, result.path, dest_dir=versions_dir())


def _record_version(version: Version, result: ingest.Result, *, by) -> None:
    """A new version's content hash anchored on the ledger, and its audit event."""
    resource = version.resource
    ledger.anchor(
        "dataset.version",
        target=version,
        content_hash=version.sha256,
        by=by,
        subject={"catalogue.resource": resource.code},
    )
    record(
        VERSION_INGEST,
        by=by,
        target=version,
        changes={
            "sha256": version.sha256,
            "rows": version.rows,
            "pi": [f.column for f in result.pi],
        },
        summary=_("归集 %(code)s 第 %(n)d 版：%(rows)d 行，SHA-256 %(sha)s")
        % {
            "code": resource.code,
            "n": version.number,
            "rows": version.rows,
            "sha": version.sha256[:16],
        },
    )


def _record_quality_failures(version: Version, outcomes, score: float, *, by) -> None:
    """The provider is told of the rules a new version failed through its workbench and this
    event (谁提供谁负责)."""
    failed_rules = [o for o in outcomes if not o.passed]
    if not failed_rules:
        return
    record(
        QUALITY_FAILED,
        by=by,
        target=version,
        changes={"failed": [o.rule for o in failed_rules], "score": score},
        summary=_("%(code)s 第 %(n)d 版有 %(k)d 条质量规则未达标，得分 %(s).1f")
        % {"code": version.resource.code, "n": version.number, "k": len(failed_rules), "s": score},
    )


def quality_rules(resource: Resource) -> list[quality.Rule]:
    """The resource's rules, with referential ones pointed at the referenced active version."""
    rules = []
    for rule in resource.quality_rules.all():
        params = dict(rule.params)
        if rule.kind == QualityRule.Kind.REFERENTIAL:
            target = Resource.objects.get(code=params["resource_code"]).active_version
            if target is None:
                continue  # nothing to refer to yet: the rule applies once the target has data
            params["reference"] = str(versions_dir() / target.path)
        rules.append(
            quality.Rule(rule.kind, tuple(rule.columns), rule.threshold, params, str(rule))
        )
    return rules


@transaction.atomic
def add_quality_rule(
    resource: Resource,
    *,
    by,
    kind: str,
    columns: list[str],
    threshold: float = 1.0,
    params: dict | None = None,
    name: str = "",
) -> QualityRule:
    """Declare a quality rule; it runs on every later version."""
    if by is not None and by.organisation_id != resource.provider_id:
        raise RuleViolation(_("只有该资源的提供单位可以设置质量规则。"))
    known = set(resource.fields.values_list("name", flat=True))
    unknown = [c for c in columns if c not in known]
    if not columns or unknown:
        raise RuleViolation(_("质量规则引用了不存在的字段：%(c)s") % {"c": "、".join(unknown)})
    params = params or {}
    if (
        kind == QualityRule.Kind.REFERENTIAL
        and not Resource.objects.filter(code=params.get("resource_code")).exists()
    ):
        raise RuleViolation(_("参照的数据资源不存在。"))
    rule = QualityRule(
        resource=resource, kind=kind, columns=columns, threshold=threshold, params=params, name=name
    )
    rule.full_clean()
    rule.save()
    record(
        QUALITY_RULE_ADD,
        by=by,
        target=resource,
        changes={"rule": {"kind": kind, "columns": columns, "threshold": threshold}},
        summary=_("为 %(code)s 设置质量规则 %(r)s") % {"code": resource.code, "r": rule},
    )
    return rule


def untagged_personal_information(version: Version) -> list[str]:
    """Columns the scan found personal information in whose fields are not tagged yet."""
    tags = dict(version.resource.fields.values_list("name", "pi_kind"))
    return [f["column"] for f in version.pi_findings if not tags.get(f["column"])]


@transaction.atomic
def activate_version(version: Version, *, by) -> Version:
    """Make `version` the one the zone reads. Refused while personal information found in it
    is untagged (the provider must say what each such field is first)."""
    version = Version.objects.select_for_update().get(pk=version.pk)
    untagged = untagged_personal_information(version)
    if untagged:
        raise RuleViolation(
            _("以下字段含有个人信息但尚未标注，不能启用：%(cols)s") % {"cols": "、".join(untagged)}
        )
    if version.status == VersionStatus.ACTIVE:
        return version
    Version.objects.filter(resource=version.resource, status=VersionStatus.ACTIVE).update(
        status=VersionStatus.SUPERSEDED
    )
    version.status = VersionStatus.ACTIVE
    version.activated_at = timezone.now()
    version.save(update_fields=["status", "activated_at"])
    # The zone keys its copy of the new version in the worker, before the first query needs it.
    from pdao.zone.tables import prepare_version  # zone.tables imports this module

    pk = version.pk
    transaction.on_commit(lambda: prepare_version.enqueue(pk))
    record(
        VERSION_ACTIVATE,
        by=by,
        target=version,
        summary=_("启用 %(code)s 第 %(n)d 版")
        % {"code": version.resource.code, "n": version.number},
    )
    return version


@transaction.atomic
def tag_field(field: Field, *, by, pi_kind: str, sensitivity: str | None = None) -> Field:
    """The provider says what a field holds (谁提供谁负责)."""
    if by is not None and by.organisation_id != field.resource.provider_id:
        raise RuleViolation(_("只有该资源的提供单位可以标注字段。"))
    PIKind(pi_kind)
    changes = {"pi_kind": [field.pi_kind, pi_kind]}
    field.pi_kind = pi_kind
    if sensitivity:
        changes["sensitivity"] = [field.sensitivity, sensitivity]
        field.sensitivity = sensitivity
    field.full_clean(exclude=["resource"])
    field.save(update_fields=["pi_kind", "sensitivity"])
    record(
        FIELD_TAG,
        by=by,
        target=field.resource,
        changes={field.name: changes},
        summary=_("标注 %(code)s 的字段「%(f)s」为 %(kind)s")
        % {"code": field.resource.code, "f": field.name, "kind": PIKind(pi_kind).label},
    )
    return field


REVIEW_INTERVAL_DAYS = 365


@transaction.atomic
def review_grading(
    resource: Resource,
    *,
    by,
    approve: bool,
    grade: str,
    harm_objects: list[str],
    note: str = "",
    non_personal: bool = False,
) -> Resource:
    """The bureau approves a resource's grade and objects of harm (it may set a higher grade:
    就高从严), or returns it with a note. Approval is anchored on the ledger and due for
    re-review a year later (动态更新). It may declare the resource non-personal (no field
    names or describes a person or an entity): the zone then answers it exactly."""
    if not by.has_perm(Perm.CATALOGUE_GRADE):
        raise RuleViolation(_("只有市数据局可以审定数据分级。"))
    Grade(grade)
    for harm in harm_objects:
        HarmObject(harm)
    if not approve and not note:
        raise RuleViolation(_("退回时请说明理由。"))
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if non_personal:
        personal = [
            f.name
            for f in resource.fields.all()
            if f.is_privacy_unit
            or f.is_quasi_identifier
            or (f.pi_kind and f.pi_kind != PIKind.NONE)
        ]
        if personal:
            raise RuleViolation(
                _("含隐私单元、准标识符或个人信息字段的资源不能声明为非个人数据：%(cols)s")
                % {"cols": "、".join(personal)}
            )
    changes = {}
    if resource.non_personal != non_personal:
        changes["non_personal"] = [resource.non_personal, non_personal]
    resource.non_personal = non_personal
    if resource.grade != grade:
        changes["grade"] = [resource.grade, grade]
    if sorted(resource.harm_objects) != sorted(harm_objects):
        changes["harm_objects"] = [resource.harm_objects, sorted(harm_objects)]
    resource.grade, resource.harm_objects = grade, sorted(harm_objects)
    resource.grading_status = GradingStatus.APPROVED if approve else GradingStatus.RETURNED
    resource.grading_note = note
    resource.grading_reviewed_at = timezone.now()
    resource.grading_reviewed_by = by
    resource.grading_review_due = (
        (timezone.localdate() + timedelta(days=REVIEW_INTERVAL_DAYS)) if approve else None
    )
    resource.save()
    if approve:
        decision = {"code": resource.code, "grade": grade, "harm_objects": resource.harm_objects}
        ledger.anchor(
            "dataset.grading",
            target=resource,
            content_hash=hashlib.sha256(canonical(decision)).hexdigest(),
            by=by,
        )
    record(
        GRADING_REVIEW,
        by=by,
        target=resource,
        changes=changes | {"status": resource.grading_status},
        summary=_("%(verb)s %(code)s 的分级：%(grade)s%(core)s")
        % {
            "verb": _("审定通过") if approve else _("退回"),
            "code": resource.code,
            "grade": Grade(grade).label,
            "core": _("（核心数据，不予授权）") if grade == Grade.CORE else "",
        },
    )
    return resource


CATALOGUE_IMPORT = actions.define("dataset.import", gettext_lazy("批量导入数据资源目录"))


def read_catalogue(path: Path) -> list[dict]:
    """The resource specifications of a filled-in catalogue workbook (.xlsx) or its CSV form,
    or excel.WorkbookProblems. The file is inspected against the catalogue limits first and
    parsed in a limited child process (pdao.core.sandbox): a workbook is a form, so it is read
    within seconds or refused, naming the limit."""
    path = Path(path)
    try:
        files.inspect(path, files.limits("catalogue"))
    except files.Refused as refusal:
        raise excel.WorkbookProblems([excel.Problem("", 0, "", refusal.message)]) from None
    reader = excel.read_csv if path.suffix.lower() == ".csv" else excel.read
    try:
        return sandbox.run(
            reader, path, limits=sandbox.limits("catalogue"), passes=(excel.WorkbookProblems,)
        )
    except sandbox.LimitExceeded as exceeded:
        raise excel.WorkbookProblems([excel.Problem("", 0, "", str(exceeded))]) from None
    except sandbox.Failed as failed:
        logger.warning("catalogue workbook unreadable: %s", failed.kind)
        raise excel.WorkbookProblems(
            [excel.Problem("", 0, "", "文件不是可读取的 Excel 工作簿或 CSV")]
        ) from None


def import_catalogue(path: Path, *, by) -> list[Resource]:
    """Register every resource of a filled-in catalogue workbook for the user's department —
    all of them, or none when any row has a problem (excel.WorkbookProblems). The file is read
    before the transaction that registers them begins (`read_catalogue`)."""
    specs = read_catalogue(path)
    provider = by.organisation
    with transaction.atomic():
        existing = set(Resource.objects.filter(provider=provider).values_list("name", flat=True))
        clashes = [s["name"] for s in specs if s["name"] in existing]
        if clashes:
            raise excel.WorkbookProblems(
                [
                    excel.Problem(excel.RESOURCES, 0, "资源名称", f"本单位已登记「{n}」")
                    for n in clashes
                ]
            )
        created = [register_resource(by=by, provider=provider, **dict(s)) for s in specs]
        record(
            CATALOGUE_IMPORT,
            by=by,
            target_ref=("accounts.organisation", str(provider.pk)),
            summary=_("从 Excel 导入 %(n)d 个数据资源") % {"n": len(created)},
        )
    return created


# --- Ingest in the task worker -----------------------------------------------------------------

logger = logging.getLogger(__name__)

# Where each stage of a job starts and ends on the page's bar (percent); the read stage, where
# DuckDB parses and types every row, is most of the time for a large CSV.
INGEST_STAGES = {
    "queued": (0, 0),
    "encoding": (0, 15),
    "excel": (0, 15),
    "read": (15, 65),
    "validate": (65, 75),
    "personal-information": (75, 80),
    "write": (80, 92),
    "quality": (92, 98),
    "done": (98, 98),
}
INGEST_STAGE_LABELS = {
    "queued": gettext_lazy("排队等待处理"),
    "encoding": gettext_lazy("检测编码"),
    "excel": gettext_lazy("读取 Excel 工作表"),
    "read": gettext_lazy("读取并校验类型"),
    "validate": gettext_lazy("校验必填、枚举和格式"),
    "personal-information": gettext_lazy("扫描个人信息"),
    "write": gettext_lazy("写入 Parquet"),
    "quality": gettext_lazy("质量检查"),
    "done": gettext_lazy("登记版本并上链"),
}


def queue_ingest(resource: Resource, upload, *, by, mode: str, declared_format: str) -> IngestJob:
    """Stage an uploaded file under PDAO_DATA_DIR/incoming and queue its ingest for the task
    worker; the page follows the job's progress. The file is moved, not copied, when Django
    already holds it on disk (same file system: the upload temp dir is under PDAO_DATA_DIR)."""
    if not Resource.objects.supplied_by(by).filter(pk=resource.pk).exists():
        raise RuleViolation(_("只有该资源的提供单位可以归集其数据版本。"))
    if mode == UpdateMode.APPEND and resource.active_version is None:
        raise RuleViolation(_("尚无当前版本，不能追加；请先全量归集。"))
    _within_job_allowance(resource)
    incoming_dir().mkdir(parents=True, exist_ok=True)
    staged = incoming_dir() / f"{uuid.uuid4().hex}.{declared_format}"
    if hasattr(upload, "temporary_file_path"):
        file_move_safe(upload.temporary_file_path(), str(staged))
    else:
        with staged.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
    try:
        with transaction.atomic():
            job = IngestJob.objects.create(
                resource=resource,
                requested_by=by,
                mode=mode,
                declared_format=declared_format,
                filename=Path(upload.name).name[:255],
                staged=staged.name,
                bytes=staged.stat().st_size,
                stage="queued",
            )
            record(
                INGEST_QUEUED,
                by=by,
                target=resource,
                changes={"job": job.pk, "bytes": job.bytes, "mode": mode},
                summary=_("提交 %(code)s 的归集任务（%(size)s 字节）")
                % {"code": resource.code, "size": f"{job.bytes:,}"},
            )
            transaction.on_commit(lambda: run_ingest.enqueue(job.pk))
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return job


class _JobProgress:
    """Writes a job's stage and percent to its row, at most twice a second (and on every stage
    change). Called from the worker's thread and from ingest's DuckDB watcher thread, which
    uses, and closes, its own connection; progress is advisory, so a failed write is logged."""

    def __init__(self, job_id: int):
        self.job_id, self.stage, self.written = job_id, "", 0.0
        self.owner = threading.current_thread()
        self.lock = threading.Lock()

    def __call__(self, stage: str, done: int, total: int) -> None:
        start, end = INGEST_STAGES.get(stage, (0, 0))
        percent = start + (end - start) * (done / total if total else 0)
        with self.lock:
            now = time.monotonic()
            if stage == self.stage and now - self.written < 0.5:
                return
            self.stage, self.written = stage, now
        try:
            IngestJob.objects.filter(pk=self.job_id).update(stage=stage, percent=percent)
        except DatabaseError:
            logger.warning("ingest job %s: progress not recorded", self.job_id, exc_info=True)
        finally:
            if threading.current_thread() is not self.owner:
                connections.close_all()


class _Heartbeat:
    """Writes the job's heartbeat every INGEST_HEARTBEAT_SECONDS from a thread of the worker
    while the parse runs in its child: a job whose heartbeat stops had its worker die
    (`mark_stale_jobs`)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="ingest-heartbeat", daemon=True)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.INGEST_HEARTBEAT_SECONDS):
                try:
                    IngestJob.objects.filter(pk=self.job_id).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.warning("ingest job %s: heartbeat not recorded", self.job_id)
        finally:
            connections.close_all()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_ingest_job(job_id: int) -> IngestJob:
    """The worker's side of `queue_ingest`: ingest the staged file, record the outcome on the
    job. A refused file is deleted and leaves the active version untouched; a failure inside
    the platform keeps the file so the job can be retried."""
    job = IngestJob.objects.select_related("resource", "requested_by").get(pk=job_id)
    if job.finished:
        return job
    staged = incoming_dir() / job.staged
    now = timezone.now()
    IngestJob.objects.filter(pk=job.pk).update(
        status=IngestJob.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    outcome = {"status": IngestJob.Status.FAILED, "stage": "done", "percent": 100.0}
    usage: list[sandbox.Usage] = []
    keep = False
    try:
        with _Heartbeat(job.pk):
            version = ingest_version(
                job.resource,
                staged,
                by=job.requested_by,
                declared_format=job.declared_format,
                mode=job.mode,
                progress=_JobProgress(job.pk),
                usage=usage,
            )
    except ingest.IngestError as error:
        outcome["problems"] = [p.as_dict() for p in error.problems]
    except RuleViolation as error:
        outcome["problems"] = [{"kind": "rule", "message": str(error)}]
    except Exception as error:
        # The traceback without the message: a DuckDB message can quote a raw line.
        logger.error(
            "ingest job %s failed: %s (%s)\n%s",
            job.pk,
            type(error).__name__,
            getattr(error, "kind", ""),
            "".join(traceback.format_tb(error.__traceback__)),
        )
        keep = staged.exists()
        outcome["retryable"] = keep
        outcome["problems"] = [
            {
                "kind": "internal",
                "message": _("处理出错，文件已保留，可重试；如仍失败请联系平台运维。"),
            }
        ]
    else:
        outcome.update(status=IngestJob.Status.SUCCEEDED, version=version)
    finally:
        if not keep:
            staged.unlink(missing_ok=True)
    if usage:
        outcome.update(peak_memory=usage[0].peak_bytes, cpu_seconds=usage[0].cpu_seconds)
    IngestJob.objects.filter(pk=job.pk).update(finished_at=timezone.now(), **outcome)
    job.refresh_from_db()
    return job


def mark_stale_jobs(*, now=None) -> int:
    """The janitor (run every minute with the monitoring rules): a running job whose heartbeat
    is older than INGEST_STALE_SECONDS lost its worker — it is marked interrupted, with its
    file kept for a retry; staged files of ended jobs older than INGEST_KEEP_FAILED_DAYS and
    working directories older than the parse's wall-clock limit are removed. Returns the number
    of jobs marked."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.INGEST_STALE_SECONDS)
    marked = 0
    stale = IngestJob.objects.filter(status=IngestJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    for job in stale.select_related("resource"):
        with transaction.atomic():
            updated = IngestJob.objects.filter(
                pk=job.pk, status=IngestJob.Status.RUNNING, heartbeat_at=job.heartbeat_at
            ).update(
                status=IngestJob.Status.INTERRUPTED,
                finished_at=now,
                stage="done",
                retryable=(incoming_dir() / job.staged).exists(),
                problems=[
                    {
                        "kind": "interrupted",
                        "message": _("处理进程意外终止（%(s)d 秒无心跳），文件已保留，可重试。")
                        % {"s": settings.INGEST_STALE_SECONDS},
                    }
                ],
            )
            if updated:
                marked += 1
                record(
                    INGEST_INTERRUPTED,
                    by=SCHEDULER,
                    target=job.resource,
                    changes={"job": job.pk},
                    summary=_("%(code)s 的归集任务 #%(job)d 中断（处理进程无心跳）")
                    % {"code": job.resource.code, "job": job.pk},
                )
    expired = IngestJob.objects.filter(
        retryable=True, finished_at__lt=now - timedelta(days=settings.INGEST_KEEP_FAILED_DAYS)
    )
    for staged in expired.values_list("staged", flat=True):
        (incoming_dir() / staged).unlink(missing_ok=True)
    expired.update(retryable=False)
    horizon = now.timestamp() - sandbox.limits("version").wall_seconds - 600
    for work in versions_dir().glob(".work-*"):
        if work.stat().st_mtime < horizon:
            shutil.rmtree(work, ignore_errors=True)
    return marked


def _within_job_allowance(resource: Resource) -> None:
    """One department's uploads may not hold the task worker: at most INGEST_JOBS_PER_PROVIDER
    of its jobs wait or run at once (five hostile files had kept everyone else's waiting)."""
    waiting = IngestJob.objects.filter(
        resource__provider_id=resource.provider_id,
        status__in=(IngestJob.Status.QUEUED, IngestJob.Status.RUNNING),
    ).count()
    if waiting >= settings.INGEST_JOBS_PER_PROVIDER:
        raise RuleViolation(
            _("本单位已有 %(n)d 个归集任务在排队或处理中，请待其完成后再提交。") % {"n": waiting}
        )


def retry_ingest(job: IngestJob, *, by) -> IngestJob:
    """A new job for the file an interrupted or internally failed job kept."""
    if not Resource.objects.supplied_by(by).filter(pk=job.resource_id).exists():
        raise RuleViolation(_("只有该资源的提供单位可以归集其数据版本。"))
    _within_job_allowance(job.resource)
    staged = incoming_dir() / job.staged
    with transaction.atomic():
        locked = IngestJob.objects.select_for_update().get(pk=job.pk)
        if not locked.retryable or not staged.exists():
            raise RuleViolation(_("该任务不能重试（文件未保留或已重试）。"))
        locked.retryable = False
        locked.save(update_fields=["retryable"])
        again = IngestJob.objects.create(
            resource=locked.resource,
            requested_by=by,
            mode=locked.mode,
            declared_format=locked.declared_format,
            filename=locked.filename,
            staged=locked.staged,
            bytes=locked.bytes,
            stage="queued",
            retry_of=locked,
        )
        record(
            INGEST_RETRIED,
            by=by,
            target=locked.resource,
            changes={"job": again.pk, "retry_of": locked.pk},
            summary=_("重试 %(code)s 的归集任务 #%(job)d")
            % {"code": locked.resource.code, "job": locked.pk},
        )
        transaction.on_commit(lambda: run_ingest.enqueue(again.pk))
    return again
