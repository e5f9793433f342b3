from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from pdao.core import submissions


class AuthorizationConfig(AppConfig):
    name = "pdao.authorization"
    label = "authorization"
    verbose_name = _("数据授权")

    def ready(self):
        # Menu, workbench and services import models: loaded only once they are.
        from pdao.authorization import navigation, services, workbench  # noqa: F401

        submissions.register("GS", services.track_objection)
