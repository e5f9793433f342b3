"""What waits for whom among products: reviews to sign, filed products to list."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work
from pdao.products.choices import ProductStatus, SignOff
from pdao.products.models import ComplianceReview, Credential, Product


def _unsigned(role: str, user) -> int:
    return (
        ComplianceReview.objects.filter(outcome=ComplianceReview.Outcome.PENDING)
        .exclude(signoffs__role=role)
        .exclude(product__operator_id=user.organisation_id)
        .count()
    )


@pending_work(Role.REVIEWER)
def reviewer_queue(user):
    yield WorkItem(
        _("待签署的产品合规审查"), _unsigned(SignOff.REVIEWER, user), reverse("products:reviews")
    )


@pending_work(Role.SUPERVISOR)
def supervisor_queue(user):
    yield WorkItem(
        _("待签署的产品安全审查"),
        _unsigned(SignOff.SUPERVISOR, user),
        reverse("products:security_reviews"),
    )


@pending_work(Role.OPERATOR)
def operator_queue(user):
    yield WorkItem(
        _("已备案待上架的数据产品"),
        Product.objects.filter(
            operator_id=user.organisation_id, status=ProductStatus.FILED
        ).count(),
        reverse("products:mine"),
    )


@pending_work(Role.CONSUMER)
def consumer_queue(user):
    yield WorkItem(
        _("有效的调用凭证"),
        Credential.objects.filter(
            organisation_id=user.organisation_id, revoked_at__isnull=True
        ).count(),
        reverse("products:credentials"),
    )
