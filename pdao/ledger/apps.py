from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "pdao.ledger"
    label = "ledger"
    verbose_name = _("区块链存证")

    def ready(self):
        # Menu, workbench and signal registrations import models: loaded only once they are.
        from pdao.ledger import navigation, workbench  # noqa: F401
