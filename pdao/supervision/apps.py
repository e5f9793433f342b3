from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "pdao.supervision"
    label = "supervision"
    verbose_name = _("安全监管")

    def ready(self):
        from pdao.supervision import navigation, workbench  # noqa: F401
