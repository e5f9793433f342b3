from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("finance", _("收益驾驶舱"), "finance:overview", Perm.FINANCE_VIEW)
navigation.add("finance", _("我的收益"), "finance:mine", Perm.FINANCE_DECLARE)
navigation.add("finance", _("收入台账"), "finance:revenue_list", Perm.FINANCE_VIEW)
navigation.add("finance", _("定价周期"), "finance:period_list", Perm.FINANCE_VIEW)
navigation.add("finance", _("价格机制参数"), "finance:limits", Perm.FINANCE_VIEW)
navigation.add("finance", _("收益上缴"), "finance:remittance_list", Perm.FINANCE_VIEW)
navigation.add("finance", _("预算安排"), "finance:budget", Perm.FINANCE_VIEW)
navigation.add("finance", _("年度报告"), "finance:report_list", Perm.FINANCE_VIEW)
navigation.add("finance", _("收缴账户"), "finance:payee", Perm.FINANCE_VIEW)
navigation.add("finance", _("对账单"), "finance:statement_list", Perm.FINANCE_DECLARE)
navigation.add("finance", _("对账单"), "finance:statement_list", Perm.PRODUCT_SUBSCRIBE)
