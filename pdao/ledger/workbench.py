from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work
from pdao.ledger.models import LedgerEntry


@pending_work(Role.SUPERVISOR, Role.BUREAU_ADMIN)
def stuck_entries(user):
    """Entries not sequenced a minute after they were written mean the sequencer is failing."""
    cutoff = timezone.now() - timedelta(minutes=1)
    count = LedgerEntry.objects.filter(position__isnull=True, created_at__lt=cutoff).count()
    yield WorkItem(
        _("超时未定序的上链记录"),
        count,
        reverse("ledger:overview"),
        hint=_("正常应为 0；否则请检查账本定序与检查点发布"),
        urgent=count > 0,
    )
