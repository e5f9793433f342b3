from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "pdao.catalogue"
    label = "catalogue"
    verbose_name = _("数据归集")

    def ready(self):
        from pdao.catalogue import navigation, workbench  # noqa: F401
