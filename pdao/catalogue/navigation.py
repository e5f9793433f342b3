from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("catalogue", _("数据资源目录"), "catalogue:resource_list", Perm.CATALOGUE_VIEW)
navigation.add("catalogue", _("登记数据资源"), "catalogue:resource_create", Perm.CATALOGUE_SUPPLY)
navigation.add("catalogue", _("登记公示"), "catalogue:notices", Perm.CATALOGUE_VIEW)
navigation.add("catalogue", _("数据需求与调度"), "catalogue:demands", Perm.CATALOGUE_VIEW)
navigation.add("catalogue", _("专区数据关联"), "catalogue:joins", Perm.CATALOGUE_GRADE)
