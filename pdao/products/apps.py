from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "pdao.products"
    label = "products"
    verbose_name = _("数据产品与交付")

    def ready(self):
        from pdao.products import navigation, workbench  # noqa: F401 — registers menu and workbench
