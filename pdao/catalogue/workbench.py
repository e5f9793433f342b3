from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pdao.catalogue.choices import VersionStatus
from pdao.catalogue.models import Version
from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work


@pending_work(Role.PROVIDER)
def versions_waiting(user):
    """Versions of the provider's own resources ingested but not yet active."""
    waiting = Version.objects.filter(
        resource__provider_id=user.organisation_id, status=VersionStatus.READY
    ).count()
    yield WorkItem(
        _("待启用的数据版本"),
        waiting,
        reverse("catalogue:resource_list"),
        hint=_("含个人信息的版本需先标注字段"),
    )
