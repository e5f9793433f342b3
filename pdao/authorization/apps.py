from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthorizationConfig(AppConfig):
    name = "pdao.authorization"
    label = "authorization"
    verbose_name = _("数据授权")

    def ready(self):
        from pdao.authorization import navigation, services, workbench  # noqa: F401
        from pdao.core import submissions

        submissions.register("GS", services.track_objection)
