from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "pdao.finance"
    label = "finance"
    verbose_name = _("价格与收益分配")

    def ready(self):
        # Imported once the models are loaded: the menu, the workbench, the audit labels, the
        # calendar work and the check of caps against the MAR all need them.
        from pdao.core import monitoring
        from pdao.finance import actions, navigation, tasks, workbench  # noqa: F401
        from pdao.finance.caps import AgainstAllowance
        from pdao.products import caps

        monitoring.minute_passed.connect(tasks.on_minute, dispatch_uid="finance.calendar")
        caps.register(AgainstAllowance())
