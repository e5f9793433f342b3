from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "pdao.catalogue"
    label = "catalogue"
    verbose_name = _("数据归集")

    def ready(self):
        from pdao.catalogue import navigation, workbench  # noqa: F401

        Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
