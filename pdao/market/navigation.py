from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("market", _("交易市场"), "market:home", Perm.CATALOGUE_VIEW)
navigation.add("market", _("挂牌管理"), "market:listings", Perm.PRODUCT_MANAGE)
navigation.add("market", _("挂牌管理"), "market:listings", Perm.PRODUCT_VIEW_ALL)
navigation.add("market", _("产品登记"), "market:registrations", Perm.PRODUCT_VIEW_ALL)
navigation.add("market", _("交易订单"), "market:orders", Perm.PRODUCT_MANAGE)
navigation.add("market", _("交易订单"), "market:orders", Perm.PRODUCT_SUBSCRIBE)
navigation.add("market", _("交易订单"), "market:orders", Perm.PRODUCT_VIEW_ALL)
navigation.add("market", _("关联方"), "market:related", Perm.PRODUCT_REGULATE)
navigation.add("market", _("存量服务摸底"), "market:surveys", Perm.PRODUCT_VIEW_ALL)
navigation.add("market", _("存量服务摸底"), "market:surveys", Perm.CATALOGUE_SUPPLY)
navigation.add("market", _("服务机构名录"), "market:firms", Perm.CATALOGUE_VIEW)
navigation.add("market", _("服务机构核验"), "market:firms_review", Perm.PRODUCT_VIEW_ALL)
