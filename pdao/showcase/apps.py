from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShowcaseConfig(AppConfig):
    name = "pdao.showcase"
    label = "showcase"
    verbose_name = _("示范与评估")

    def ready(self):
        # The menu, the workbench and the audit labels need the models loaded.
        from pdao.showcase import actions, navigation, workbench  # noqa: F401
