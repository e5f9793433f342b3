"""数据商 and 第三方专业服务机构 (section 八.2 of the plan): organisations apply for a service
category with their qualifications, the bureau verifies, and the public directory lists the
verified ones with the work the platform records for them — compliance reviews their people
signed, authorization applications they scored, products they sell and trades settled. The
plan's target (at least two such firms cultivated) is counted from it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation
from pdao.audit.services import record
from pdao.authorization.models import Score
from pdao.core.permissions import Perm, Role
from pdao.core.rules import CONTROL, RuleViolation, require
from pdao.market import actions
from pdao.market.choices import FirmCategory, FirmStatus, OrderStatus
from pdao.market.models import FirmApplication, Order
from pdao.notifications.services import holders, members, notify
from pdao.products.choices import ProductStatus
from pdao.products.models import Product, ReviewSignOff

TARGET = 2  # the plan: 培育数据商和第三方专业服务机构不少于 2 家
# Who may apply: companies and assessment bodies, never government departments.
APPLICANTS = (OrganisationType.OPERATOR, OrganisationType.CONSUMER, OrganisationType.REVIEWER_BODY)


@transaction.atomic
def apply(*, by, category: str, qualifications: str, certificates: str, contact: str):
    organisation = by.organisation
    if organisation is None or organisation.type not in APPLICANTS:
        raise RuleViolation(_("只有企业和评估机构可以申请服务机构入库。"))
    if organisation.verified_at is None:
        raise RuleViolation(_("本单位尚未通过核验，暂不能申请入库。"))
    if category not in FirmCategory.values:
        raise RuleViolation(_("请选择服务类别。"))
    qualifications, contact = qualifications.strip(), contact.strip()
    if not qualifications or not contact:
        raise RuleViolation(_("请填写资质说明和联系方式。"))
    if any(CONTROL.search(t) for t in (qualifications, contact, certificates)):
        raise RuleViolation(_("申请内容含有不可见的控制字符，请删除后重试。"))
    if FirmApplication.objects.filter(
        organisation=organisation,
        category=category,
        status__in=[FirmStatus.SUBMITTED, FirmStatus.VERIFIED],
    ).exists():
        raise RuleViolation(_("本单位已申请或已入库该服务类别。"))
    application = FirmApplication.objects.create(
        organisation=organisation,
        category=category,
        qualifications=qualifications[:4000],
        certificates=certificates.strip()[:1000],
        contact=contact[:100],
        submitted_by=by,
    )
    record(
        actions.FIRM_APPLY,
        by=by,
        target=application,
        changes={"category": category},
        summary=_("%(o)s 申请入库：%(c)s")
        % {"o": organisation.name, "c": FirmCategory(category).label},
    )
    notify(
        holders(Role.BUREAU_ADMIN),
        subject=_("服务机构入库待核验：%(o)s") % {"o": organisation.name},
        link=reverse("market:firms_review"),
    )
    return application


@transaction.atomic
def decide(application: FirmApplication, *, by, verify: bool, note: str = "") -> FirmApplication:
    """The bureau verifies (入库) or refuses with a reason; a verified firm can be revoked."""
    require(by, Perm.PRODUCT_REGULATE)
    application = FirmApplication.objects.select_for_update().get(pk=application.pk)
    note = note.strip()
    if application.status == FirmStatus.SUBMITTED:
        status = FirmStatus.VERIFIED if verify else FirmStatus.REJECTED
    elif application.status == FirmStatus.VERIFIED and not verify:
        status = FirmStatus.REVOKED
    else:
        raise RuleViolation(_("该申请已办结。"))
    if status != FirmStatus.VERIFIED and not note:
        raise RuleViolation(_("不予入库或撤销入库的，请写明理由。"))
    application.status, application.note = status, note[:2000]
    application.decided_by, application.decided_at = by, timezone.now()
    application.save()
    record(
        actions.FIRM_DECIDE,
        by=by,
        target=application,
        changes={"status": status, "note": application.note},
        summary=_("%(o)s（%(c)s）：%(s)s")
        % {
            "o": application.organisation.name,
            "c": application.get_category_display(),
            "s": FirmStatus(status).label,
        },
    )
    notify(
        members(application.organisation, *Role),
        subject=_("服务机构入库：%(s)s") % {"s": FirmStatus(status).label},
        body=application.note,
        link=reverse("market:firms"),
    )
    return application


def work_of(organisation_ids) -> dict[int, dict]:
    """What the platform records for each organisation: reviews signed and applications scored
    by its people, its products on the market and its settled sales."""
    ids = list(organisation_ids)
    work = {i: {"reviews": 0, "scores": 0, "products": 0, "settled": 0} for i in ids}
    for row in (
        ReviewSignOff.objects.filter(user__organisation_id__in=ids, approved__isnull=False)
        .values("user__organisation_id")
        .annotate(n=Count("pk"))
    ):
        work[row["user__organisation_id"]]["reviews"] = row["n"]
    for row in (
        Score.objects.filter(reviewer__organisation_id__in=ids, recused=False)
        .values("reviewer__organisation_id")
        .annotate(n=Count("pk"))
    ):
        work[row["reviewer__organisation_id"]]["scores"] = row["n"]
    for row in (
        Product.objects.filter(operator_id__in=ids, status=ProductStatus.LISTED)
        .values("operator_id")
        .annotate(n=Count("pk"))
    ):
        work[row["operator_id"]]["products"] = row["n"]
    for row in (
        Order.objects.filter(operator_id__in=ids, status=OrderStatus.SETTLED)
        .values("operator_id")
        .annotate(n=Count("pk"))
    ):
        work[row["operator_id"]]["settled"] = row["n"]
    return work


def directory(category: str = "") -> list[dict]:
    """Verified firms, each once with its categories and recorded work."""
    verified = FirmApplication.objects.filter(status=FirmStatus.VERIFIED)
    if category in FirmCategory.values:
        verified = verified.filter(category=category)
    by_org: dict[int, dict] = {}
    for application in verified.select_related("organisation").order_by("organisation__name"):
        entry = by_org.setdefault(
            application.organisation_id,
            {"organisation": application.organisation, "categories": [], "since": None},
        )
        entry["categories"].append(application.get_category_display())
        since = application.decided_at
        entry["since"] = min(filter(None, [entry["since"], since]), default=since)
    work = work_of(by_org)
    return [entry | {"work": work[pk]} for pk, entry in by_org.items()]


def cultivated() -> int:
    """Distinct verified firms: the plan's target counts these."""
    return (
        Organisation.objects.filter(firm_applications__status=FirmStatus.VERIFIED)
        .distinct()
        .count()
    )
