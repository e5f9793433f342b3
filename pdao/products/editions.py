"""数据报告: report products and their editions. A report's sections (title, query, output
form, chart) pass the same compliance review and filing as any product; each edition is
generated in the zone by the operator, reviewed before it leaves (结果出域审核: an expert
or the supervisor), then delivered to subscribers as PDF or Word, metered like any call.

Generating an edition runs every section in the zone and renders PDF and Word: seconds to
minutes, so the page queues it for the task worker (`queue_edition`) and follows it
(`generation`); `generate_edition` does the work, there or from the command line."""

from __future__ import annotations

import hashlib
import logging
import os
import traceback
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.tasks.base import TaskResultStatus
from django.tasks.exceptions import TaskResultDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.accounts.models import User
from pdao.audit import actions
from pdao.audit.services import record
from pdao.core.codes import next_code
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation
from pdao.ledger.services import anchor
from pdao.notifications.services import holders, members, notify
from pdao.products import reports
from pdao.products.choices import ProductKind, ProductStatus
from pdao.products.models import Product, ReportEdition
from pdao.products.services import check_may_build_on, check_may_manage
from pdao.products.tasks import generate_report
from pdao.zone import services as zone

REPORT_CREATE = actions.define("report.create", gettext_lazy("创建数据报告产品"))
EDITION_QUEUE = actions.define("report.generate.submit", gettext_lazy("提交生成数据报告"))
EDITION_GENERATE = actions.define("report.generate", gettext_lazy("生成数据报告"))
EDITION_REVIEW = actions.define("report.review", gettext_lazy("数据报告出域审核"))
# Ledger entry types that are not audit actions, by their names (the ledger's pages).
actions.define("report.release", gettext_lazy("数据报告出域发布"))
FORMATS = {"pdf": "application/pdf", "docx": (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")}  # fmt: skip
# Rendering a report's files, beyond its sections' zone queries (see _stale).
GENERATION_GRACE_SECONDS = 300
GENERATION_FAILED = gettext_lazy(
    "生成报告时出错，未生成新一期；请稍后重试，如仍失败请联系平台运维。"
)
logger = logging.getLogger(__name__)


class GenerationPending(RuleViolation):
    """Another edition of the product is still queued or being generated."""


def reports_dir() -> Path:
    return Path(settings.DATA_DIR) / "reports"


def path_of(digest: str, fmt: str) -> Path:
    return reports_dir() / f"{digest}.{fmt}"


@transaction.atomic
def create_report(*, by, authorization, name: str, summary: str, sections) -> Product:
    """A draft report product on one of the operator's own active authorizations."""
    check_may_build_on(authorization, by=by)
    try:
        sections = reports.check_sections(sections)
    except ValueError as error:
        raise RuleViolation(str(error)) from None
    if not name.strip() or not summary.strip():
        raise RuleViolation(_("请填写报告名称和说明。"))
    product = Product.objects.create(
        code=next_code("LZ-DP", Product),
        name=name.strip()[:100],
        summary=summary.strip(),
        kind=ProductKind.REPORT,
        authorization=authorization,
        operator_id=authorization.operator_id,
        purpose=authorization.application.purpose,
        form="dp" if any(s["form"] == "dp" for s in sections) else "aggregate",
        sql="",
        sections=sections,
        created_by=by,
    )
    record(
        REPORT_CREATE,
        by=by,
        target=product,
        changes={"authorization": authorization.code, "sections": len(sections)},
        summary=_("创建数据报告产品 %(code)s %(name)s")
        % {"code": product.code, "name": product.name},
    )
    return product


def _check_may_generate(product: Product, by) -> None:
    check_may_manage(product, by=by)
    if product.kind != ProductKind.REPORT:
        raise RuleViolation(_("只有数据报告类产品可以生成报告。"))
    if product.status not in (ProductStatus.FILED, ProductStatus.LISTED):
        raise RuleViolation(_("报告产品备案后才能生成报告。"))


def generation(product: Product) -> dict | None:
    """The latest edition generation asked for this product, as the task worker holds it:
    {"state": queued|running|done|failed, "number", "message", "at"}, or None. A run whose
    worker died (started longer ago than its sections could take) reads as failed."""
    if not product.generation_task:
        return None
    try:
        task = generate_report.get_result(product.generation_task)
    except TaskResultDoesNotExist:  # the backend's results were pruned
        return None
    state = {
        TaskResultStatus.READY: "queued",
        TaskResultStatus.RUNNING: "running",
        TaskResultStatus.SUCCESSFUL: "done",
    }.get(task.status, "failed")
    outcome = task.return_value if state == "done" else {}
    message = outcome.get("error", "")
    if state == "done" and (message or outcome.get("failed")):
        state = "failed"
    if state == "running" and task.started_at and task.started_at < _stale(product):
        state = "failed"
    if state == "failed" and not message:
        message = str(GENERATION_FAILED)
    return {
        "state": state,
        "number": outcome.get("edition"),
        "message": message,
        "at": task.enqueued_at,
    }


def _stale(product: Product):
    """Before this, a generation still running lost its worker: every section's zone query is
    held to ZONE_QUERY_SECONDS, and rendering takes a few seconds more."""
    budget = len(product.sections) * settings.ZONE_QUERY_SECONDS + GENERATION_GRACE_SECONDS
    return timezone.now() - timedelta(seconds=budget)


def queue_edition(product: Product, *, by) -> None:
    """Queue a new edition for the task worker (`run_generation`); the page follows it. One at
    a time per product: another while one waits or runs is refused. The task is queued inside
    the transaction that holds the product's row, and its id kept on the product, so two
    requests at once cannot both pass the check."""
    _check_may_generate(product, by)
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        current = generation(locked)
        if current and current["state"] in ("queued", "running"):
            raise GenerationPending(_("上一期报告仍在生成，请等待其完成后再提交。"))
        record(
            EDITION_QUEUE,
            by=by,
            target=locked,
            changes={"sections": len(locked.sections)},
            summary=_("提交生成数据报告 %(code)s") % {"code": locked.code},
        )
        # The database backend writes the task in this transaction: the worker sees it at commit.
        locked.generation_task = generate_report.enqueue(locked.pk, by.pk).id
        locked.save(update_fields=["generation_task"])


def run_generation(product_id: int, user_id: int) -> dict:
    """The worker's side of `queue_edition`, as the user who asked: {"edition": number}, or
    {"error": message} with a refusal's words, or {"failed": True} for a failure inside the
    platform (logged by type and traceback, never its text: it may quote a value; the page
    says so in the reader's language)."""
    try:
        product = Product.objects.select_related("authorization", "operator").get(pk=product_id)
        edition = generate_edition(product, by=User.objects.get(pk=user_id))
    except RuleViolation as error:
        return {"error": str(error)}
    except Exception as error:
        logger.error(
            "report generation for product %s failed: %s\n%s",
            product_id,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        return {"failed": True}
    return {"edition": edition.number}


def generate_edition(product: Product, *, by) -> ReportEdition:
    """Run every section in the zone (recorded and audited like any zone query), render the
    released results as PDF and Word, store both read-only by SHA-256, await output review."""
    _check_may_generate(product, by)
    sections = []
    query_ids = []
    for section in product.sections:
        query = zone.run_query(
            product.authorization,
            by=by,
            sql=section["sql"],
            form=section["form"],
            epsilon=product.epsilon_per_call,
        )
        query_ids.append(query.pk)
        if query.decision != "released":
            raise RuleViolation(
                _("“%(title)s”未通过专区输出控制：%(msg)s")
                % {"title": section["title"], "msg": query.message}
            )
        sections.append(
            reports.Section(
                title=section["title"],
                note=section["note"],
                form=section["form"],
                chart=section["chart"],
                columns=query.result["columns"],
                rows=query.result["rows"],
                suppression=query.result.get("suppression", []),
                epsilon_spent=query.epsilon_spent,
            )
        )
    number = (product.editions.aggregate(m=Max("number"))["m"] or 0) + 1
    meta = {
        "name": product.name,
        "code": product.code,
        "filing_no": product.filing_no,
        "edition": number,
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "operator": product.operator.name,
        "authorization": product.authorization.code,
        "summary": product.summary,
    }
    files = {"pdf": reports.render_pdf(meta, sections), "docx": reports.render_docx(meta, sections)}
    digests = {fmt: hashlib.sha256(data).hexdigest() for fmt, data in files.items()}
    reports_dir().mkdir(parents=True, exist_ok=True)
    for fmt, data in files.items():
        target = path_of(digests[fmt], fmt)
        if not target.exists():
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            os.chmod(partial, 0o444)
            partial.replace(target)
    with transaction.atomic():
        edition = ReportEdition.objects.create(
            product=product,
            number=number,
            pdf_sha256=digests["pdf"],
            docx_sha256=digests["docx"],
            pdf_bytes=len(files["pdf"]),
            docx_bytes=len(files["docx"]),
            zone_queries=query_ids,
            generated_by=by,
        )
        record(
            EDITION_GENERATE,
            by=by,
            target=product,
            changes={"edition": number, "pdf_sha256": digests["pdf"], "zone_queries": query_ids},
            summary=_("生成数据报告 %(code)s 第 %(n)s 期") % {"code": product.code, "n": number},
        )
        notify(
            holders(Role.REVIEWER, Role.SUPERVISOR),
            subject=_("数据报告待出域审核：%(name)s 第 %(n)s 期")
            % {"name": product.name, "n": number},
            body=_("请核对报告内容后决定是否发布。"),
            link=reverse("products:product_detail", args=[product.code]),
        )
    return edition


@transaction.atomic
def review_edition(edition: ReportEdition, *, by, approve: bool, note: str) -> ReportEdition:
    """结果出域审核 by an expert or the supervisor (never the operator's own people)."""
    if not (by and (by.has_perm(Perm.PRODUCT_REVIEW) or by.has_perm(Perm.PRODUCT_SUPERVISE))):
        raise RuleViolation(_("没有执行此操作的权限。"))
    edition = ReportEdition.objects.select_for_update().get(pk=edition.pk)
    product = edition.product
    if by.organisation_id == product.operator_id:
        raise RuleViolation(_("不能审核本单位的报告（利益冲突）。"))
    if edition.status != ReportEdition.Status.PENDING:
        raise RuleViolation(_("该期报告已审核。"))
    if not note.strip():
        raise RuleViolation(_("请填写审核意见。"))
    edition.status = ReportEdition.Status.RELEASED if approve else ReportEdition.Status.REJECTED
    edition.reviewed_by, edition.reviewed_at, edition.review_note = by, timezone.now(), note
    edition.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    record(
        EDITION_REVIEW,
        by=by,
        target=product,
        changes={"edition": edition.number, "approved": approve, "pdf_sha256": edition.pdf_sha256},
        summary=_("数据报告 %(code)s 第 %(n)s 期出域审核：%(v)s")
        % {"code": product.code, "n": edition.number, "v": edition.get_status_display()},
    )
    if approve:
        anchor(
            "report.release",
            content_hash=edition.pdf_sha256,
            by=by,
            target=edition,
            subject={"product": product.code, "docx_sha256": edition.docx_sha256},
        )
    notify(
        members(product.operator, Role.OPERATOR),
        subject=_("数据报告 %(name)s 第 %(n)s 期：%(v)s")
        % {"name": product.name, "n": edition.number, "v": edition.get_status_display()},
        body=note,
        link=reverse("products:product_detail", args=[product.code]),
    )
    return edition


def latest_released(product: Product) -> ReportEdition | None:
    return product.editions.filter(status=ReportEdition.Status.RELEASED).first()


def read(edition: ReportEdition, fmt: str) -> bytes:
    """The stored file, checked against its recorded hash (a tampered file is never served)."""
    digest = edition.pdf_sha256 if fmt == "pdf" else edition.docx_sha256
    data = path_of(digest, fmt).read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise RuleViolation(_("报告文件与登记的哈希不符，已停止交付。"))
    return data
