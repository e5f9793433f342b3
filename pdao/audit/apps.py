from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "pdao.audit"
    label = "audit"
    verbose_name = _("审计")

    def ready(self):
        # Menu, workbench and signal registrations import models: loaded only once they are.
        from pdao.audit import navigation, workbench  # noqa: F401
