"""存量服务摸底: the services provider departments already give third parties (other than
government bodies and fiscally funded public-service organisations), declared by web form or
by an Excel template with drop-downs (all rows or none, problems by sheet, row and column), the
bureau's disposition of each — 纳入授权运营 / 转为共享 / 停止 — and, for 纳入授权运营, a
migration task closed only by linking the authorization and the listed product that replace it.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pdao.accounts import credit_code
from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation
from pdao.audit.export import safe_cell
from pdao.audit.services import record
from pdao.authorization.models import Authorization
from pdao.catalogue import excel
from pdao.catalogue.models import Resource
from pdao.core import files, papers, sandbox
from pdao.core.codes import next_code
from pdao.core.permissions import Perm, Role
from pdao.core.rules import CONTROL, RuleViolation, require
from pdao.finance import money
from pdao.market import actions
from pdao.market.choices import (
    Disposition,
    RecipientType,
    ServiceMethod,
    SurveyStatus,
)
from pdao.market.models import ExistingService, MigrationTask, ServiceSurvey, SurveyReturn
from pdao.notifications.services import holders, members, notify
from pdao.products.choices import ProductStatus

SHEET = "存量服务"
RESOURCES_SHEET = "本单位数据资源"
YES_NO = excel.YES_NO
MIGRATION_DAYS = 180
MAX_VOLUME = 10**12
COLUMNS = [
    ("服务对象名称", "recipient_name", None, True),
    ("服务对象统一社会信用代码", "recipient_credit_code", None, True),
    ("服务对象类型", "recipient_type", RecipientType, True),
    ("数据资源目录编码", "resources", None, True),
    ("提供方式", "method", ServiceMethod, True),
    ("用途", "purpose", None, True),
    ("依据（协议或文件编号）", "legal_basis", None, True),
    ("开始日期", "starts_on", None, True),
    ("结束日期", "ends_on", None, False),
    ("是否收费", "charged", YES_NO, True),
    ("年收费金额（元）", "fee", None, False),
    ("年服务量（次或条）", "yearly_volume", None, True),
    ("安全保障措施", "safeguards", None, True),
]
HEADERS = {attr: header for header, attr, *_ in COLUMNS} | {"fee_fen": "年收费金额（元）"}
LIMITS = {"recipient_name": 200, "purpose": 1000, "legal_basis": 200, "safeguards": 2000}


def _provider(by) -> Organisation:
    require(by, Perm.CATALOGUE_SUPPLY)
    organisation = by.organisation
    if organisation is None or organisation.type != OrganisationType.PROVIDER:
        raise RuleViolation(_("只有数据提供部门可以填报存量服务。"))
    return organisation


def _open(survey: ServiceSurvey) -> ServiceSurvey:
    survey = ServiceSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != SurveyStatus.OPEN:
        raise RuleViolation(_("该摸底已结束。"))
    return survey


@transaction.atomic
def open_survey(*, by, title: str, deadline: date, instructions: str = "") -> ServiceSurvey:
    require(by, Perm.PRODUCT_REGULATE)
    title = title.strip()
    if not title:
        raise RuleViolation(_("请填写摸底名称。"))
    if deadline <= timezone.localdate():
        raise RuleViolation(_("填报截止日期应晚于今天。"))
    survey = ServiceSurvey.objects.create(
        code=next_code("LZ-MD", ServiceSurvey),
        title=title[:200],
        instructions=instructions.strip()[:4000],
        deadline=deadline,
        opened_by=by,
    )
    record(
        actions.SURVEY_OPEN,
        by=by,
        target=survey,
        changes={"deadline": deadline.isoformat()},
        summary=_("发起存量服务摸底“%(t)s”，%(d)s 截止") % {"t": survey.title, "d": deadline},
    )
    notify(
        holders(Role.PROVIDER),
        subject=_("请填报存量数据服务：%(t)s") % {"t": survey.title},
        body=_("截止日期 %(d)s。") % {"d": deadline.isoformat()},
        link=reverse("market:survey_detail", args=[survey.code]),
    )
    return survey


# --- One declaration ----------------------------------------------------------------------------


def _fingerprint(recipient: str, resource_codes, method: str) -> str:
    text = "\x1f".join([recipient, ",".join(sorted(resource_codes)), method])
    return hashlib.sha256(text.encode()).hexdigest()


def _date(value, attr: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise _bad(attr, _("%(f)s应为日期（年-月-日）。") % {"f": HEADERS[attr]}) from None


def _bad(attr: str, message: str) -> RuleViolation:
    """A refusal that knows its column (the import reports it by sheet, row and column)."""
    error = RuleViolation(message)
    error.column = HEADERS.get(attr, "")
    return error


def clean(provider: Organisation, values: dict) -> tuple[dict, list[Resource]]:
    """One declaration's values, checked; RuleViolation names the first problem."""
    out = {}
    for _header, attr, _choices, required in COLUMNS:
        value = values.get(attr)
        if isinstance(value, str):
            value = value.strip()
        if required and value in (None, ""):
            raise _bad(attr, _("请填写%(f)s。") % {"f": _header})
        out[attr] = value
    for attr in ("recipient_name", "purpose", "legal_basis", "safeguards"):
        if CONTROL.search(str(out[attr])):
            raise _bad(attr, _("%(f)s含有不可见的控制字符，请删除后重试。") % {"f": HEADERS[attr]})
    for attr, limit in LIMITS.items():
        if len(str(out[attr])) > limit:
            raise _bad(attr, _("%(f)s不能超过 %(n)s 个字符。") % {"f": HEADERS[attr], "n": limit})
    code = credit_code.normalise(str(out["recipient_credit_code"]))
    problem = credit_code.check(code)
    if problem:
        raise _bad(
            "recipient_credit_code", _("服务对象统一社会信用代码无效：%(p)s") % {"p": problem}
        )
    if code.startswith("11"):
        raise _bad("recipient_credit_code", _("服务对象为机关单位，属于政务共享，不在摸底范围。"))
    out["recipient_credit_code"] = code
    if out["recipient_type"] not in RecipientType.values:
        raise _bad("recipient_type", _("服务对象类型不是可选值。"))
    if out["method"] not in ServiceMethod.values:
        raise _bad("method", _("提供方式不是可选值。"))
    codes = sorted(
        {
            c.strip()
            for c in str(out.pop("resources")).replace("，", ",").replace("、", ",").split(",")
        }
        - {""}
    )
    found = {r.code: r for r in Resource.objects.filter(provider=provider, code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise _bad(
            "resources",
            _("数据资源目录编码不在本单位目录中：%(codes)s") % {"codes": "、".join(unknown)},
        )
    out["starts_on"] = _date(out["starts_on"], "starts_on")
    out["ends_on"] = _date(out["ends_on"], "ends_on") if out.get("ends_on") else None
    if out["ends_on"] and out["ends_on"] < out["starts_on"]:
        raise _bad("ends_on", _("结束日期不能早于开始日期。"))
    out["charged"] = out["charged"] in (True, "是", "true", "on", "1")
    fee = out.pop("fee") or ""
    try:
        out["fee_fen"] = money.parse(str(fee)) if fee not in ("", None) else 0
    except money.MoneyError:
        raise _bad("fee", _("年收费金额应为不小于 0、最多两位小数的金额。")) from None
    if out["charged"] and not out["fee_fen"]:
        raise _bad("fee", _("收费的服务请填写年收费金额。"))
    if not out["charged"] and out["fee_fen"]:
        raise _bad("fee", _("不收费的服务，年收费金额应为空。"))
    volume = str(out["yearly_volume"]).strip()
    if volume.endswith(".0"):  # a whole number Excel keeps as a float
        volume = volume[:-2]
    if not volume.isascii() or not volume.isdigit():
        raise _bad("yearly_volume", _("年服务量应为不小于 0 的整数。"))
    if len(volume) > len(str(MAX_VOLUME)) or int(volume) > MAX_VOLUME:
        raise _bad("yearly_volume", _("年服务量不能超过 %(n)s。") % {"n": f"{MAX_VOLUME:,}"})
    out["yearly_volume"] = int(volume)
    out["fingerprint"] = _fingerprint(code, codes, out["method"])
    return out, [found[c] for c in codes]


def _create(survey, provider, by, values, resources) -> ExistingService:
    if ExistingService.objects.filter(
        survey=survey, provider=provider, fingerprint=values["fingerprint"]
    ).exists():
        raise RuleViolation(_("已申报过同一服务对象、同一数据资源和提供方式的服务。"))
    service = ExistingService.objects.create(
        survey=survey, provider=provider, created_by=by, **values
    )
    service.resources.set(resources)
    return service


def _returned(survey, provider) -> None:
    if SurveyReturn.objects.filter(survey=survey, provider=provider).exists():
        raise RuleViolation(_("本单位已报送，申报内容不能再修改。"))


@transaction.atomic
def declare(survey: ServiceSurvey, *, by, **values) -> ExistingService:
    """One service by web form."""
    provider = _provider(by)
    survey = _open(survey)
    _returned(survey, provider)
    cleaned, resources = clean(provider, values)
    service = _create(survey, provider, by, cleaned, resources)
    record(
        actions.SURVEY_DECLARE,
        by=by,
        target=service,
        changes={"survey": survey.code, "recipient": service.recipient_credit_code},
        summary=_("申报存量服务：向 %(r)s 提供数据") % {"r": service.recipient_name},
    )
    return service


@transaction.atomic
def withdraw(service: ExistingService, *, by) -> None:
    """A declaration is removed by its department until the return is sent."""
    provider = _provider(by)
    if service.provider_id != provider.pk:
        raise RuleViolation(_("只能撤回本单位的申报。"))
    _open(service.survey)
    _returned(service.survey, provider)
    record(
        actions.SURVEY_DECLARE,
        by=by,
        target=service.survey,
        changes={"withdrawn": service.pk},
        summary=_("撤回存量服务申报：%(r)s") % {"r": service.recipient_name},
    )
    service.delete()


@transaction.atomic
def submit_return(survey: ServiceSurvey, *, by) -> SurveyReturn:
    """填报完成: the department's declarations (possibly none) are final."""
    provider = _provider(by)
    survey = _open(survey)
    _returned(survey, provider)
    count = survey.services.filter(provider=provider).count()
    done = SurveyReturn.objects.create(
        survey=survey, provider=provider, services=count, submitted_by=by
    )
    record(
        actions.SURVEY_RETURN,
        by=by,
        target=survey,
        changes={"services": count},
        summary=_("%(p)s 报送存量服务摸底：%(n)s 项") % {"p": provider.name, "n": count},
    )
    return done


# --- The Excel template -----------------------------------------------------------------------


def template(provider: Organisation) -> bytes:
    """The form as a workbook: one sheet to fill in, with drop-downs for the choices, and the
    department's own resources on a second sheet to copy codes from."""
    book = Workbook()
    book.remove(book.active)
    excel.write_sheet(book, SHEET, COLUMNS, [], validations=True)
    own = book.create_sheet(RESOURCES_SHEET)
    own.append(["目录编码", "资源名称"])
    for code, name in Resource.objects.filter(provider=provider).values_list("code", "name"):
        own.append([safe_cell(code), safe_cell(name)])
    own.column_dimensions["A"].width = 30
    own.column_dimensions["B"].width = 40
    sheet = book[SHEET]
    letter = get_column_letter([c[1] for c in COLUMNS].index("resources") + 1)
    rows = max(2, own.max_row)
    rule = DataValidation(
        type="list", formula1=f"='{RESOURCES_SHEET}'!$A$2:$A${rows}", allow_blank=True
    )
    rule.add(f"{letter}2:{letter}1000")
    sheet.add_data_validation(rule)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(path: Path) -> list[dict]:
    """The rows of a filled-in template, each with its row number; WorkbookProblems otherwise.
    Pure parsing (run in the sandbox): the catalogue is consulted afterwards."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise excel.WorkbookProblems(
            [excel.Problem("", 0, "", "文件不是可读取的 Excel 工作簿")]
        ) from error
    if SHEET not in book.sheetnames:
        raise excel.WorkbookProblems([excel.Problem(SHEET, 0, "", "缺少该工作表")])
    problems: list[excel.Problem] = []
    rows = excel.parse_sheet(book[SHEET], COLUMNS, problems)
    book.close()
    if problems:
        raise excel.WorkbookProblems(problems)
    if not rows:
        raise excel.WorkbookProblems([excel.Problem(SHEET, 0, "", "没有填写任何服务")])
    return [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()} for r in rows]


def read_upload(path: Path) -> list[dict]:
    """Inspected against the survey limits, then parsed in a limited child process."""
    try:
        files.inspect(path, files.limits("catalogue"))
    except files.Refused as refusal:
        raise excel.WorkbookProblems([excel.Problem("", 0, "", refusal.message)]) from None
    try:
        return sandbox.run(read, path, limits=sandbox.limits("catalogue"),
                           passes=(excel.WorkbookProblems,))  # fmt: skip
    except sandbox.LimitExceeded as exceeded:
        raise excel.WorkbookProblems([excel.Problem("", 0, "", str(exceeded))]) from None
    except sandbox.Failed:
        raise excel.WorkbookProblems(
            [excel.Problem("", 0, "", "文件不是可读取的 Excel 工作簿")]
        ) from None


def import_rows(survey: ServiceSurvey, path: Path, *, by) -> list[ExistingService]:
    """Every row of the workbook declared, or none: a problem in any row (including a
    duplicate of a row above or of an earlier declaration) is reported by sheet, row and
    column and nothing is saved."""
    rows = read_upload(Path(path))
    with transaction.atomic():
        provider = _provider(by)
        survey = _open(survey)
        _returned(survey, provider)
        problems, made, seen = [], [], {}
        for row in rows:
            number = row.pop("_row")
            try:
                values, resources = clean(provider, row)
            except RuleViolation as error:
                problems.append(
                    excel.Problem(SHEET, number, getattr(error, "column", ""), str(error))
                )
                continue
            if values["fingerprint"] in seen:
                problems.append(
                    excel.Problem(SHEET, number, "", f"与第 {seen[values['fingerprint']]} 行重复")
                )
                continue
            seen[values["fingerprint"]] = number
            try:
                with transaction.atomic():
                    made.append(_create(survey, provider, by, values, resources))
            except RuleViolation as error:
                problems.append(excel.Problem(SHEET, number, "", str(error)))
        if problems:
            transaction.set_rollback(True)
            raise excel.WorkbookProblems(problems)
        record(
            actions.SURVEY_IMPORT,
            by=by,
            target=survey,
            changes={"services": len(made)},
            summary=_("从 Excel 申报 %(n)s 项存量服务") % {"n": len(made)},
        )
    return made


# --- The bureau's decisions -----------------------------------------------------------------------


@transaction.atomic
def decide(service: ExistingService, *, by, disposition: str, note: str = "") -> ExistingService:
    """处置: 纳入授权运营 opens a migration task (due in 180 days); 转为共享 and 停止 need a note
    the department reads."""
    require(by, Perm.PRODUCT_REGULATE)
    service = ExistingService.objects.select_for_update().get(pk=service.pk)
    if not SurveyReturn.objects.filter(survey=service.survey, provider=service.provider).exists():
        raise RuleViolation(_("该部门尚未报送，其申报还可能修改，暂不能处置。"))
    if disposition not in (Disposition.INCLUDE, Disposition.SHARE, Disposition.STOP):
        raise RuleViolation(_("请选择处置意见。"))
    if service.disposition != Disposition.PENDING:
        raise RuleViolation(_("该服务已作出处置。"))
    note = note.strip()
    if disposition != Disposition.INCLUDE and not note:
        raise RuleViolation(_("转为共享或停止提供的，请写明理由。"))
    service.disposition, service.disposition_note = disposition, note[:2000]
    service.decided_by, service.decided_at = by, timezone.now()
    service.save()
    if disposition == Disposition.INCLUDE:
        MigrationTask.objects.create(
            service=service, due_on=timezone.localdate() + timedelta(days=MIGRATION_DAYS)
        )
    record(
        actions.SURVEY_DECIDE,
        by=by,
        target=service,
        changes={"disposition": disposition, "note": service.disposition_note},
        summary=_("存量服务（%(p)s → %(r)s）处置：%(d)s")
        % {
            "p": service.provider.name,
            "r": service.recipient_name,
            "d": Disposition(disposition).label,
        },
    )
    notify(
        members(service.provider, Role.PROVIDER),
        subject=_("存量服务处置意见：%(d)s") % {"d": Disposition(disposition).label},
        body=service.disposition_note,
        link=reverse("market:survey_detail", args=[service.survey.code]),
    )
    return service


@transaction.atomic
def close_migration(task: MigrationTask, *, by, authorization, product) -> MigrationTask:
    """Closed by the authorization and the listed product that replace the service: the
    authorization active and covering at least one of the service's resources, the product
    built on it and on the market."""
    require(by, Perm.PRODUCT_REGULATE)
    task = MigrationTask.objects.select_for_update().get(pk=task.pk)
    if task.closed_at is not None:
        raise RuleViolation(_("该迁移任务已完成。"))
    if authorization is None or product is None:
        raise RuleViolation(_("请关联替代的授权和已上架的数据产品。"))
    if authorization.status != "active":
        raise RuleViolation(_("关联的授权不在有效状态。"))
    codes = {item["resource_code"] for item in authorization.agreement.terms.get("scope", [])}
    if not codes & set(task.service.resources.values_list("code", flat=True)):
        raise RuleViolation(_("关联的授权不包含该服务使用的任何数据资源。"))
    if product.authorization_id != authorization.pk:
        raise RuleViolation(_("关联的数据产品不是基于该授权开发的。"))
    if product.status != ProductStatus.LISTED:
        raise RuleViolation(_("关联的数据产品尚未上架。"))
    task.authorization, task.product = authorization, product
    task.closed_by, task.closed_at = by, timezone.now()
    task.save()
    record(
        actions.SURVEY_MIGRATED,
        by=by,
        target=task.service,
        changes={"authorization": authorization.code, "product": product.code},
        summary=_("存量服务已纳入授权运营：授权 %(a)s，产品 %(p)s")
        % {"a": authorization.code, "p": product.code},
    )
    return task


# --- Statistics ---------------------------------------------------------------------------------


def overdue_providers(survey: ServiceSurvey, today: date | None = None):
    """Provider departments that have not returned after the deadline."""
    today = today or timezone.localdate()
    if survey.status != SurveyStatus.OPEN or today <= survey.deadline:
        return Organisation.objects.none()
    return Organisation.objects.filter(type=OrganisationType.PROVIDER, is_active=True).exclude(
        survey_returns__survey=survey
    )


def returned(survey: ServiceSurvey):
    """The services of departments that have returned: what the bureau counts and decides."""
    return survey.services.filter(provider__survey_returns__survey=survey)


def replacements(service: ExistingService) -> list[tuple[str, str]]:
    """(authorization code|product code, label) pairs that may close the service's migration:
    active authorizations covering one of its resources and their products on the market."""
    codes = set(service.resources.values_list("code", flat=True))
    pairs = []
    for authorization in Authorization.objects.filter(status="active").order_by("code"):
        scope = {i["resource_code"] for i in authorization.agreement.terms.get("scope", [])}
        if not scope & codes:
            continue
        for product in authorization.products.filter(status=ProductStatus.LISTED):
            pairs.append(
                (
                    f"{authorization.code}|{product.code}",
                    f"{authorization.code} {authorization.application.scenario} → "
                    f"{product.code} {product.name}",
                )
            )
    return pairs


def statistics(survey: ServiceSurvey) -> dict:
    services = returned(survey)
    return {
        "by_provider": list(
            services.values("provider__name")
            .annotate(
                n=Count("pk"),
                charged=Count("pk", filter=Q(charged=True)),
                include=Count("pk", filter=Q(disposition=Disposition.INCLUDE)),
            )
            .order_by("-n", "provider__name")
        ),
        "by_method": [
            (ServiceMethod(r["method"]).label, r["n"])
            for r in services.values("method").annotate(n=Count("pk")).order_by("method")
        ],
        "by_disposition": [
            (Disposition(r["disposition"]).label, r["n"])
            for r in services.values("disposition").annotate(n=Count("pk")).order_by("disposition")
        ],
        "total": services.count(),
        "returned": survey.returns.count(),
    }


def export(survey: ServiceSurvey) -> bytes:
    """Every declared service and the statistics, as a workbook in the platform language (its
    headings are Chinese whatever the reader's page language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return papers.xlsx(_paper(survey))


def _paper(survey: ServiceSurvey) -> papers.Paper:
    figures = statistics(survey)
    rows = []
    for s in returned(survey).select_related("provider").prefetch_related("resources"):
        rows.append(
            (
                s.provider.name,
                s.recipient_name,
                s.recipient_credit_code,
                s.get_recipient_type_display(),
                "、".join(r.code for r in s.resources.all()),
                s.get_method_display(),
                s.purpose,
                s.legal_basis,
                s.starts_on.isoformat(),
                s.ends_on.isoformat() if s.ends_on else "长期",
                "是" if s.charged else "否",
                money.yuan(s.fee_fen),
                s.yearly_volume,
                s.get_disposition_display(),
                s.disposition_note,
            )
        )
    paper = papers.Paper(
        title=f"存量数据服务摸底统计：{survey.title}",
        facts=[
            ("摸底编号", survey.code),
            ("填报截止日期", survey.deadline.isoformat()),
            ("已报送部门", str(figures["returned"])),
            ("申报服务", str(figures["total"])),
        ],
        sections=[
            papers.Section(
                "按部门",
                header=("数据提供部门", "服务数", "收费服务", "纳入授权运营"),
                rows=[
                    (r["provider__name"], r["n"], r["charged"], r["include"])
                    for r in figures["by_provider"]
                ],
                sheet="按部门",
            ),
            papers.Section(
                "按提供方式",
                header=("提供方式", "服务数"),
                rows=[(str(m), n) for m, n in figures["by_method"]],
                sheet="按提供方式",
            ),
            papers.Section(
                "按处置意见",
                header=("处置意见", "服务数"),
                rows=[(str(d), n) for d, n in figures["by_disposition"]],
                sheet="按处置意见",
            ),
            papers.Section(
                "服务明细",
                header=(
                    "数据提供部门",
                    "服务对象名称",
                    "统一社会信用代码",
                    "服务对象类型",
                    "数据资源",
                    "提供方式",
                    "用途",
                    "依据",
                    "开始日期",
                    "结束日期",
                    "是否收费",
                    "年收费金额（元）",
                    "年服务量",
                    "处置意见",
                    "处置说明",
                ),
                rows=rows,
                sheet="服务明细",
            ),
        ],
    )
    return paper
