from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "pdao.finance"
    label = "finance"
    verbose_name = _("价格与收益分配")
