"""合规审查备案登记: one register of every compliance review result and its filing number —
products' reviews (备案编号 LZ-BA-…), authorization decisions (授权编号 LZ-AU-…) and completed
spot checks (抽查编号 LZ-CC-…) — as the plan asks ("开展数据合规性审查,并对审查结果进行
备案"). Composed from the records themselves, so it can never disagree with them; exported to
Excel for the bureau's files.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pdao.audit.export import safe_cell
from pdao.authorization.choices import ApplicationStatus
from pdao.authorization.models import Application
from pdao.products.choices import SignOff
from pdao.products.models import ComplianceReview
from pdao.supervision.models import SpotCheck
from pdao.supervision.spotchecks import tally

KINDS = {
    "product": gettext_lazy("数据产品合规审查"),
    "authorization": gettext_lazy("授权审查决定"),
    "spot_check": gettext_lazy("数据样本抽查"),
}


@dataclass(frozen=True)
class Filing:
    kind: str
    number: str  # the filing number; "" when the result files nothing (a failed review)
    subject: str
    organisation: str
    review: str  # what was examined
    result: str
    passed: bool
    reviewers: str
    decided_at: datetime
    status: str  # the subject's status today
    url: str

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])


def _products() -> Iterable[Filing]:
    reviews = (
        ComplianceReview.objects.exclude(outcome=ComplianceReview.Outcome.PENDING)
        .select_related("product__operator")
        .prefetch_related("signoffs__user")
    )
    for review in reviews:
        product = review.product
        signoffs = list(review.signoffs.all())
        if not signoffs:
            continue
        passed = review.outcome == ComplianceReview.Outcome.PASSED
        checks = review.checks.values()
        yield Filing(
            kind="product",
            number=product.filing_no if passed else "",
            subject=f"{product.code} {product.name}",
            organisation=product.operator.name,
            review=_("自动审查 %(ok)s/%(n)s 项通过；输出形式 %(form)s")
            % {
                "ok": sum(1 for c in checks if c["passed"]),
                "n": len(checks),
                "form": product.form_label,
            },
            result=review.get_outcome_display(),
            passed=passed,
            reviewers=";".join(
                f"{SignOff(s.role).label} {s.user}({_('同意') if s.approved else _('不同意')}"
                f"{':' + s.note if s.note else ''})"
                for s in signoffs
            ),
            decided_at=max(s.signed_at for s in signoffs),
            status=product.get_status_display(),
            url=reverse("products:product_detail", args=[product.code]),
        )


def _authorizations() -> Iterable[Filing]:
    decided = (
        Application.objects.filter(
            decided_at__isnull=False,
            status__in=[
                ApplicationStatus.APPROVED,
                ApplicationStatus.ACTIVE,
                ApplicationStatus.REJECTED,
            ],
        )
        .select_related("operator")
        .prefetch_related("scores", "opinions")
    )
    for application in decided:
        authorization = getattr(application, "authorization", None)
        rejected = application.status == ApplicationStatus.REJECTED
        opinions = [o for o in application.opinions.all() if o.verdict]
        score = application.mean_score
        yield Filing(
            kind="authorization",
            number=authorization.code if authorization else "",
            subject=f"{application.code} {application.scenario}",
            organisation=application.operator.name,
            review=_("提供单位意见 %(o)s 份；专家评审均分 %(s)s")
            % {"o": len(opinions), "s": score if score is not None else "—"},
            result=_("不予授权") if rejected else _("批准授权"),
            passed=not rejected,
            reviewers=application.decision_reason,
            decided_at=application.decided_at,
            status=authorization.get_status_display()
            if authorization
            else application.get_status_display(),
            url=reverse("authorization:application_detail", args=[application.pk]),
        )


def _spot_checks() -> Iterable[Filing]:
    for check in SpotCheck.objects.filter(status=SpotCheck.Status.COMPLETED).select_related(
        "completed_by"
    ):
        counts = tally(check)
        yield Filing(
            kind="spot_check",
            number=check.code,
            subject=check.title,
            organisation=_("全部产品") if check.product_id is None else str(check.product),
            review=_("自 %(n)s 条交付记录中抽取 %(k)s 条，种子 %(seed)s")
            % {"n": check.population, "k": sum(counts.values()), "seed": check.seed},
            result=_("合规 %(ok)s · 需关注 %(obs)s · 不合规 %(bad)s")
            % {
                "ok": counts["compliant"],
                "obs": counts["observation"],
                "bad": counts["noncompliant"],
            },
            passed=counts["noncompliant"] == 0,
            reviewers=f"{check.completed_by}:{check.conclusion}",
            decided_at=check.completed_at,
            status=check.get_status_display(),
            url=reverse("supervision:spotcheck_detail", args=[check.pk]),
        )


SOURCES = {"product": _products, "authorization": _authorizations, "spot_check": _spot_checks}


def register(*, kind: str = "", year: int | None = None, q: str = "") -> list[Filing]:
    """The register, newest decision first, filtered by kind, year of decision and a search
    over number, subject and organisation."""
    rows = [f for k, source in SOURCES.items() if kind in ("", k) for f in source()]
    if year:
        rows = [f for f in rows if timezone.localtime(f.decided_at).year == year]
    if q:
        needle = q.casefold()
        rows = [f for f in rows if needle in f"{f.number} {f.subject} {f.organisation}".casefold()]
    return sorted(rows, key=lambda f: f.decided_at, reverse=True)


def headers() -> list[str]:
    return [
        _("备案编号"),
        _("类别"),
        _("审查对象"),
        _("单位"),
        _("审查内容"),
        _("审查结论"),
        _("审查意见"),
        _("决定时间"),
        _("当前状态"),
    ]


def to_xlsx(rows: list[Filing]) -> bytes:
    """The register as a workbook: a header row, frozen, filterable; cells that a spreadsheet
    would read as formulas are quoted (reasons are typed by people)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("合规审查备案登记")
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for f in rows:
        sheet.append(
            [
                safe_cell(v)
                for v in (
                    f.number or "—",
                    f.kind_label,
                    f.subject,
                    f.organisation,
                    f.review,
                    f.result,
                    f.reviewers,
                    timezone.localtime(f.decided_at).strftime("%Y-%m-%d %H:%M"),
                    f.status,
                )
            ]
        )
    for index, width in enumerate((20, 16, 36, 28, 40, 20, 60, 18, 12), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
