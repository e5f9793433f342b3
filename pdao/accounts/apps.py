from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pdao.accounts"
    label = "accounts"
    verbose_name = _("组织与用户")

    def ready(self):
        # Menu, workbench and signal registrations import models: loaded only once they are.
        from pdao.accounts import navigation, signals, workbench  # noqa: F401
