from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pdao.core import submissions


class CatalogueConfig(AppConfig):
    name = "pdao.catalogue"
    label = "catalogue"
    verbose_name = _("数据归集")

    def ready(self):
        from pdao.catalogue import (  # noqa: F401 -- needs models loaded; registers nav, work items
            demands,
            navigation,
            registration,
            workbench,
        )

        submissions.register("YY", registration.track_objection)
        submissions.register("XQ", demands.track_demand)

        Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
