from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.core import identity
from pdao.core.labels import object_label


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")

    def _raw_delete(self, using):
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """审计事件 — one state change or security event, written in the transaction that made it.

    Holds ids and names as text, not foreign keys, so deleting a user or organisation never
    blocks on, cascades into or loses its history. Rows are append-only: the queryset and the
    model refuse update and delete.
    """

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("操作人"), max_length=150, blank=True)
    # A platform caller acting with no person behind it (the gateway, the command line, the
    # scheduler); blank for a person or the public.
    system = models.CharField(
        _("系统调用方"), max_length=16, blank=True, choices=identity.CHOICES, db_index=True
    )
    organisation_id = models.BigIntegerField(_("组织ID"), null=True, blank=True, db_index=True)
    organisation_name = models.CharField(_("组织"), max_length=200, blank=True)
    roles = models.CharField(_("角色"), max_length=200, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    summary = models.TextField(_("摘要"))
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    request_id = models.CharField(_("请求ID"), max_length=64, blank=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor_id__isnull=True) | models.Q(system=""),
                name="%(app_label)s_%(class)s_person_or_system",
            )
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    @property
    def actor_label(self) -> str:
        """Who acted, as the log shows it: the person, else the platform caller by name."""
        return self.actor_username or (self.get_system_display() if self.system else "")

    @property
    def object_label(self) -> str:
        return object_label(self.object_type) if self.object_type else ""
