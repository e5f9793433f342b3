from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Perm, Role, permissions_of


class User(AbstractUser):
    """用户 — a person signing in; belongs to one organisation and holds roles within it."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("所属组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def roles(self) -> frozenset[Role]:
        """The roles this user holds now; none when the user or their organisation is inactive."""
        if not self.is_active or self.organisation_id is None:
            return frozenset()
        if not self.organisation.is_active:
            return frozenset()
        return frozenset(Role(r) for r in self.role_grants.values_list("role", flat=True))

    @cached_property
    def permissions(self) -> frozenset[Perm]:
        return permissions_of(self.roles)

    def refresh_access(self) -> None:
        """Forget cached roles after a grant or revoke in the same request."""
        for name in ("roles", "permissions"):
            self.__dict__.pop(name, None)


class RoleGrant(models.Model):
    """角色授予 — one role held by one user within their organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("角色授予")
        verbose_name_plural = _("角色授予")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"], name="%(app_label)s_%(class)s_unique_role"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"
