from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZoneConfig(AppConfig):
    name = "pdao.zone"
    label = "zone"
    verbose_name = _("数据运营专区")

    def ready(self):
        from pdao.zone import navigation  # noqa: F401 — registers the menu once models load
