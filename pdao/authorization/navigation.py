from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add(
    "authorization", _("授权申请"), "authorization:application_list", Perm.CATALOGUE_VIEW
)
navigation.add("authorization", _("资质档案"), "authorization:qualification", Perm.AUTHZ_APPLY)
navigation.add(
    "authorization", _("资质核验"), "authorization:qualification_list", Perm.AUTHZ_DECIDE
)
navigation.add("authorization", _("授权"), "authorization:authorization_list", Perm.CATALOGUE_VIEW)
navigation.add("authorization", _("授权公示"), "authorization:notices", Perm.CATALOGUE_VIEW)
navigation.add("authorization", _("资质要求与总量"), "authorization:rules", Perm.AUTHZ_DECIDE)
navigation.add("authorization", _("授权退出"), "authorization:exits", Perm.AUTHZ_VIEW_ALL)
navigation.add("authorization", _("授权退出"), "authorization:exits", Perm.AUTHZ_APPLY)
