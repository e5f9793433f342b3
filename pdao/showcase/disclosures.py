"""年度信息披露: by 31 March each year, the bureau (实施机构) discloses the authorizations it
granted the year before with their scope and term and the fee caps it set, and each operator
that held an authorization during that year discloses the resources it was authorized to use,
its products and services with their registration numbers, its scenarios and its actual prices.

A party drafts its disclosure from the records, edits its own text (contact, statement),
refreshes the tables while it is a draft, and publishes it: the content is then fixed, its
SHA-256 (of the canonical JSON) anchored, and it stays public with every past year. A party
expected for a year that has not published by the deadline is late and shows on the
workbenches. The disclosure is written in Chinese, the language it is published in.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation
from pdao.audit.actions import define
from pdao.audit.export import safe_cell
from pdao.audit.services import record
from pdao.authorization.models import Authorization
from pdao.core import papers
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation, typed_text
from pdao.ledger import services as ledger
from pdao.ledger.entry import canonical
from pdao.market.choices import RegistrationStatus
from pdao.market.dossier import price_text
from pdao.market.models import ProductRegistration
from pdao.products.choices import ProductStatus
from pdao.products.models import Product
from pdao.showcase.choices import DisclosureStatus
from pdao.showcase.models import Disclosure

DISCLOSURE_DRAFT = define("showcase.disclosure_draft", _("起草年度信息披露"))
DISCLOSURE_SAVE = define("showcase.disclosure_save", _("修改年度信息披露"))
DISCLOSURE_PUBLISH = define("showcase.disclosure", _("公开年度信息披露"))
FIRST_YEAR = 2024  # the Liuzhou plan's first year


def deadline(year: int) -> datetime:
    """The first instant after 31 March of the next year (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(date(year + 1, 4, 1), time.min))


def _new_year(year: int) -> datetime:
    return timezone.make_aware(datetime.combine(date(year, 1, 1), time.min))


def _granted_in(year: int):
    return Authorization.objects.filter(
        created_at__gte=_new_year(year), created_at__lt=_new_year(year + 1)
    )


def held_during(year: int):
    """Authorizations in force at some time of `year` (granted by its end)."""
    return Authorization.objects.filter(
        starts_on__lte=date(year, 12, 31),
        ends_on__gte=date(year, 1, 1),
        created_at__lt=_new_year(year + 1),
    )


def bureau() -> Organisation | None:
    return Organisation.objects.filter(type=OrganisationType.DATA_BUREAU).order_by("pk").first()


def expected(year: int) -> list[Organisation]:
    """The parties that must disclose `year`: the bureau, once the programme has authorizations
    of that year in force, and every operator that held one."""
    operators = list(
        Organisation.objects.filter(pk__in=held_during(year).values("operator_id")).order_by("name")
    )
    body = bureau()
    return ([body] if operators and body else []) + operators


def parties(year: int) -> list[tuple[Organisation, datetime | None]]:
    """Each expected party with when it published (None: not yet)."""
    published = dict(
        Disclosure.objects.filter(year=year, status=DisclosureStatus.PUBLISHED).values_list(
            "organisation_id", "published_at"
        )
    )
    return [(o, published.get(o.pk)) for o in expected(year)]


def years_due(day: date) -> list[int]:
    """Years whose disclosure deadline has passed by `day`."""
    return [y for y in range(FIRST_YEAR, day.year) if deadline(y).date() <= day]


def late(today: date | None = None) -> list[tuple[int, Organisation]]:
    """(year, party) of every expected disclosure not published by its deadline."""
    today = today or timezone.localdate()
    return [
        (year, organisation)
        for year in years_due(today)
        for organisation, published in parties(year)
        if published is None
    ]


def due_for(organisation, today: date | None = None) -> list[int]:
    """Years `organisation` must still publish: the last year (due by 31 March) and any late."""
    today = today or timezone.localdate()
    years = [y for y in range(FIRST_YEAR, today.year) if organisation in expected(y)]
    done = set(
        Disclosure.objects.filter(
            organisation=organisation, status=DisclosureStatus.PUBLISHED
        ).values_list("year", flat=True)
    )
    return [y for y in years if y not in done]


# --- Drafting from the records ------------------------------------------------------------------


def _term(a: Authorization) -> str:
    return f"{a.starts_on:%Y-%m-%d} 至 {a.ends_on:%Y-%m-%d}"


def _resources(a: Authorization) -> list[str]:
    return [item["resource_name"] for item in a.agreement.terms.get("scope", [])]


def content_of(organisation: Organisation, year: int) -> dict:
    facts = {"name": organisation.name, "credit_code": organisation.credit_code}
    if organisation.type == OrganisationType.DATA_BUREAU:
        granted = _granted_in(year).select_related("operator", "application", "agreement")
        capped = Product.objects.filter(
            price_cap__isnull=False, authorization__in=held_during(year)
        ).select_related("operator")
        return {
            "kind": "bureau",
            "organisation": facts,
            "authorizations": [
                {
                    "code": a.code,
                    "scenario": a.application.scenario,
                    "operator": a.operator.name,
                    "resources": "、".join(_resources(a)),
                    "term": _term(a),
                    "mode": "依场景授权",
                }
                for a in granted.order_by("created_at")
            ],
            "caps": [
                {
                    "product": p.code,
                    "name": p.name,
                    "operator": p.operator.name,
                    "cap": f"{p.price_cap:.2f} 元/次",
                }
                for p in capped.order_by("code")
            ],
        }
    held = (
        held_during(year).filter(operator=organisation).select_related("application", "agreement")
    )
    products = (
        Product.objects.filter(authorization__in=held, filed_at__isnull=False)
        .exclude(status=ProductStatus.REJECTED)
        .order_by("code")
    )
    registrations: dict[int, list[str]] = {}
    for r in ProductRegistration.objects.filter(
        product__in=products, status=RegistrationStatus.CONFIRMED
    ).order_by("pk"):
        registrations.setdefault(r.product_id, []).append(r.code)
    return {
        "kind": "operator",
        "organisation": facts,
        "resources": [
            {"authorization": a.code, "resources": "、".join(_resources(a)), "term": _term(a)}
            for a in held.order_by("code")
        ],
        "products": [
            {
                "code": p.code,
                "name": p.name,
                "kind": p.get_kind_display(),
                "purpose": "公益" if p.is_free else "产业",
                "filing_no": p.filing_no,
                "registration": "、".join(registrations.get(p.pk, [])) or "未登记",
                "prices": "；".join(
                    f"{plan.name}：{price_text(plan)}" for plan in p.plans.order_by("pk")
                )
                or "—",
            }
            for p in products
        ],
        "scenarios": [
            {
                "authorization": a.code,
                "scenario": a.application.scenario,
                "domain": a.application.get_domain_display(),
            }
            for a in held.order_by("code")
        ],
    }


def _party(by) -> Organisation:
    """The organisation `by` discloses for: the bureau's people for the bureau, an operator's
    for their operator."""
    organisation = by.organisation
    if organisation is None:
        raise RuleViolation(_("只有实施机构和运营单位进行年度信息披露。"))
    if organisation.type == OrganisationType.DATA_BUREAU and by.has_perm(Perm.AUTHZ_DECIDE):
        return organisation
    if organisation.type == OrganisationType.OPERATOR and by.has_perm(Perm.AUTHZ_APPLY):
        return organisation
    raise RuleViolation(_("只有实施机构和运营单位进行年度信息披露。"))


@transaction.atomic
def draft(*, by, year: int) -> Disclosure:
    organisation = _party(by)
    today = timezone.localdate()
    if not FIRST_YEAR <= year < today.year:
        raise RuleViolation(
            _("可披露 %(a)s 年至 %(b)s 年的信息。") % {"a": FIRST_YEAR, "b": today.year - 1}
        )
    if organisation not in expected(year):
        raise RuleViolation(_("本单位在 %(y)s 年没有授权记录，无需披露。") % {"y": year})
    try:
        with transaction.atomic():
            disclosure = Disclosure.objects.create(
                year=year,
                organisation=organisation,
                content=content_of(organisation, year),
                drafted_by=by,
                drafted_at=timezone.now(),
            )
    except IntegrityError:
        raise RuleViolation(
            _("本单位 %(y)s 年的信息披露已起草或已公开，请在下方列表中打开。") % {"y": year}
        ) from None
    record(
        DISCLOSURE_DRAFT,
        by=by,
        target=disclosure,
        changes={"year": year},
        summary=_("起草 %(y)s 年度信息披露：%(o)s") % {"y": year, "o": organisation.name},
    )
    return disclosure


def _editable(disclosure: Disclosure, by) -> Disclosure:
    organisation = _party(by)
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    if disclosure.organisation_id != organisation.pk:
        raise RuleViolation(_("只能修改本单位的信息披露。"))
    if disclosure.status != DisclosureStatus.DRAFT:
        raise RuleViolation(_("信息披露已公开，不能修改。"))
    return disclosure


def _clean(value: str, limit: int, label: str) -> str:
    return typed_text(value, label, limit, required=False)


@transaction.atomic
def save(disclosure: Disclosure, *, by, contact: str, statement: str, refresh: bool = False):
    """The party's own text; `refresh` redrafts the tables from the records as they are now."""
    disclosure = _editable(disclosure, by)
    disclosure.contact = _clean(contact, 200, _("联系方式"))
    disclosure.statement = _clean(statement, 4000, _("情况说明"))
    if refresh:
        disclosure.content = content_of(disclosure.organisation, disclosure.year)
    disclosure.save()
    record(
        DISCLOSURE_SAVE,
        by=by,
        target=disclosure,
        changes={"refresh": refresh, "statement": len(disclosure.statement)},
        summary=_("修改 %(y)s 年度信息披露") % {"y": disclosure.year},
    )
    return disclosure


def digest(disclosure: Disclosure) -> str:
    return hashlib.sha256(
        canonical(
            {
                "year": disclosure.year,
                "organisation": disclosure.organisation.credit_code,
                "content": disclosure.content,
                "contact": disclosure.contact,
                "statement": disclosure.statement,
            }
        )
    ).hexdigest()


@transaction.atomic
def publish(disclosure: Disclosure, *, by) -> Disclosure:
    disclosure = _editable(disclosure, by)
    if not disclosure.contact:
        raise RuleViolation(_("请填写联系方式后再公开。"))
    disclosure.sha256 = digest(disclosure)
    disclosure.status = DisclosureStatus.PUBLISHED
    disclosure.published_by, disclosure.published_at = by, timezone.now()
    disclosure.save()
    ledger.anchor("showcase.disclosure", content_hash=disclosure.sha256, by=by, target=disclosure)
    record(
        DISCLOSURE_PUBLISH,
        by=by,
        target=disclosure,
        changes={"sha256": disclosure.sha256},
        summary=_("公开 %(y)s 年度信息披露：%(o)s")
        % {"y": disclosure.year, "o": disclosure.organisation.name},
    )
    return disclosure


# --- Documents ----------------------------------------------------------------------------------

BUREAU_TABLES = (
    ("authorizations", "一、授权情况",
     (("code", "授权编号"), ("scenario", "应用场景"), ("operator", "运营机构"),
      ("resources", "授权数据资源"), ("term", "授权期限"), ("mode", "授权方式"))),
    ("caps", "二、上限收费标准",
     (("product", "产品编号"), ("name", "产品名称"), ("operator", "运营机构"),
      ("cap", "上限收费标准"))),
)  # fmt: skip
OPERATOR_TABLES = (
    ("resources", "一、授权使用的公共数据资源",
     (("authorization", "授权编号"), ("resources", "数据资源"), ("term", "授权期限"))),
    ("products", "二、数据产品和服务",
     (("code", "产品编号"), ("name", "产品名称"), ("kind", "类型"), ("purpose", "用途"),
      ("filing_no", "备案编号"), ("registration", "登记确认单编号"), ("prices", "实际价格"))),
    ("scenarios", "三、应用场景",
     (("authorization", "授权编号"), ("scenario", "应用场景"), ("domain", "领域"))),
)  # fmt: skip


def tables(disclosure: Disclosure) -> list[tuple[str, str, tuple, list[tuple]]]:
    """(key, heading, header, rows) of each table of the disclosure."""
    layout = BUREAU_TABLES if disclosure.content.get("kind") == "bureau" else OPERATOR_TABLES
    return [
        (
            key,
            heading,
            tuple(label for _k, label in columns),
            [tuple(row.get(k, "") for k, _l in columns) for row in disclosure.content.get(key, [])],
        )
        for key, heading, columns in layout
    ]


def paper(disclosure: Disclosure) -> papers.Paper:
    kind = "实施机构" if disclosure.content.get("kind") == "bureau" else "运营机构"
    return papers.Paper(
        title=f"{disclosure.organisation.name} {disclosure.year} 年度公共数据资源授权运营信息披露",
        facts=[
            ("披露主体", f"{disclosure.organisation.name}（{kind}）"),
            ("统一社会信用代码", disclosure.organisation.credit_code),
            ("联系方式", disclosure.contact or "—"),
            ("公开时间", f"{timezone.localtime(disclosure.published_at):%Y-%m-%d}"
             if disclosure.published_at else "草稿"),
            ("内容 SHA-256", disclosure.sha256 or "—"),
        ],
        sections=[
            papers.Section(heading, [] if rows else ["无"], header=header if rows else (),
                           rows=rows, sheet=heading.split("、", 1)[-1])
            for _key, heading, header, rows in tables(disclosure)
        ]
        + ([papers.Section("情况说明", [disclosure.statement])] if disclosure.statement else []),
        footer="本披露内容由公共数据授权运营平台根据授权、产品、登记和价格记录生成，经披露主体确认后公开。",
        landscape=True,
    )  # fmt: skip


def year_workbook(year: int) -> bytes:
    """Every published disclosure of `year` in one workbook: a sheet per party and table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    first.title = "概况"
    first.append([f"{year} 年度公共数据资源授权运营信息披露"])
    first["A1"].font = Font(bold=True, size=14)
    first.append(["披露主体", "统一社会信用代码", "公开时间", "内容 SHA-256"])
    published = Disclosure.objects.filter(year=year, status=DisclosureStatus.PUBLISHED)
    for index, disclosure in enumerate(published.select_related("organisation"), start=1):
        first.append(
            [
                safe_cell(disclosure.organisation.name),
                disclosure.organisation.credit_code,
                f"{timezone.localtime(disclosure.published_at):%Y-%m-%d %H:%M}",
                disclosure.sha256,
            ]
        )
        for _key, heading, header, rows in tables(disclosure):
            sheet = book.create_sheet(f"{index}-{heading.split('、', 1)[-1]}"[:31])
            sheet.append([safe_cell(disclosure.organisation.name)])
            sheet.append(list(header))
            for cell in sheet[2]:
                cell.font = Font(bold=True)
            for row in rows:
                sheet.append([safe_cell(str(v)) for v in row])
    for column, width in zip("ABCD", (36, 22, 18, 66), strict=True):
        first.column_dimensions[column].width = width
    import io

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def published_years() -> list[int]:
    return sorted(
        set(
            Disclosure.objects.filter(status=DisclosureStatus.PUBLISHED).values_list(
                "year", flat=True
            )
        ),
        reverse=True,
    )
