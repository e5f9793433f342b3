from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("products", _("产品目录与订阅"), "products:market", Perm.CATALOGUE_VIEW)
navigation.add("products", _("本单位数据产品"), "products:mine", Perm.PRODUCT_MANAGE)
navigation.add("products", _("全部数据产品"), "products:all", Perm.PRODUCT_VIEW_ALL)
navigation.add("products", _("产品合规审查"), "products:reviews", Perm.PRODUCT_REVIEW)
navigation.add("products", _("产品安全审查"), "products:security_reviews", Perm.PRODUCT_SUPERVISE)
navigation.add("products", _("我的订阅"), "products:subscriptions", Perm.PRODUCT_SUBSCRIBE)
navigation.add("products", _("调用凭证"), "products:credentials", Perm.PRODUCT_SUBSCRIBE)
navigation.add("products", _("交付记录"), "products:deliveries", Perm.PRODUCT_SUBSCRIBE)
navigation.add("products", _("交付记录"), "products:deliveries", Perm.PRODUCT_MANAGE)
navigation.add("products", _("交付记录"), "products:deliveries", Perm.PRODUCT_VIEW_ALL)
navigation.add("products", _("泄露溯源"), "products:trace", Perm.PRODUCT_SUPERVISE)
