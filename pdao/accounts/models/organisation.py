from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pdao.accounts import credit_code
from pdao.accounts.choices import OrganisationType
from pdao.core.permissions import Perm


def validate_credit_code(value: str) -> None:
    reason = credit_code.check(value)
    if reason:
        raise ValidationError(
            _("统一社会信用代码无效：%(reason)s"), code="credit_code", params={"reason": reason}
        )


def validate_division_code(value: str) -> None:
    if len(value) != 6 or not value.isdigit() or value[:2] not in credit_code.PROVINCES:
        raise ValidationError(_("行政区划码应为6位数字（GB/T 2260）"), code="division_code")


class OrganisationQuerySet(models.QuerySet):
    def in_display_order(self) -> "OrganisationQuerySet":
        """Government bodies first, in the order OrganisationType lists them, then by name."""
        rank = models.Case(
            *[models.When(type=t, then=i) for i, t in enumerate(OrganisationType.values)],
            output_field=models.IntegerField(),
        )
        return self.order_by(rank, "name")

    def visible_to(self, user) -> "OrganisationQuerySet":
        """What `user` may see: every organisation with see-all, otherwise only their own."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.has_perm(Perm.ORGANISATIONS_VIEW_ALL):
            return self
        if user.has_perm(Perm.ORGANISATIONS_VIEW) and user.organisation_id:
            return self.filter(pk=user.organisation_id)
        return self.none()


class Organisation(models.Model):
    """组织 — a body taking part in the programme: a government department or an enterprise.

    Created and verified (核验) by the data bureau; only services in `pdao.accounts.services`
    change it.
    """

    name = models.CharField(_("名称"), max_length=200, unique=True)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    type = models.CharField(_("类型"), max_length=30, choices=OrganisationType.choices)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    division_code = models.CharField(
        _("行政区划码"), max_length=6, validators=[validate_division_code]
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("核验人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["type", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True, verified_by__isnull=True)
                | Q(verified_at__isnull=False, verified_by__isnull=False),
                name="%(app_label)s_%(class)s_verified_pair",
            ),
            models.CheckConstraint(
                condition=Q(type__in=OrganisationType.values),
                name="%(app_label)s_%(class)s_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None
