from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("zone", _("专区工作空间"), "zone:workspaces", Perm.AUTHZ_APPLY)
navigation.add("zone", _("专区查询记录"), "zone:queries", Perm.AUTHZ_VIEW_ALL)
