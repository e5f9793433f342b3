from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShowcaseConfig(AppConfig):
    name = "pdao.showcase"
    label = "showcase"
    verbose_name = _("示范与评估")

    def ready(self):
        # The menu, the workbench, the audit labels and the hourly figures need the models.
        from pdao.core import monitoring
        from pdao.showcase import (  # noqa: F401
            actions,
            disclosures,
            evaluations,
            navigation,
            tasks,
            workbench,
            workreports,
        )

        monitoring.minute_passed.connect(tasks.on_minute, dispatch_uid="showcase.kpis")
