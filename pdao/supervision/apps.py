from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from pdao.core import monitoring


class SupervisionConfig(AppConfig):
    name = "pdao.supervision"
    label = "supervision"
    verbose_name = _("安全监管")

    def ready(self):
        # Imported once the models are loaded: the menu, the workbench and the hook need them.
        from pdao.supervision import navigation, services, workbench  # noqa: F401

        monitoring.records_written.connect(
            services.on_records_written, dispatch_uid="pdao.supervision.monitor"
        )
