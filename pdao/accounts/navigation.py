from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("admin", _("组织"), "accounts:organisation_list", Perm.ORGANISATIONS_VIEW)
navigation.add("admin", _("用户与角色"), "accounts:user_list", Perm.USERS_MANAGE)
