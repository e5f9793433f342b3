from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketConfig(AppConfig):
    name = "pdao.market"
    label = "market"
    verbose_name = _("数据产品交易")

    def ready(self):
        # Imported once the models are loaded: the menu, the workbench, the audit labels, the
        # tracking of listing objections, the related-party rule on subscriptions and the daily
        # lapse of registrations need them.
        from pdao.core import monitoring, submissions
        from pdao.market import actions, listings, navigation, orders, tasks, workbench  # noqa: F401
        from pdao.products import buyers

        monitoring.minute_passed.connect(tasks.on_minute, dispatch_uid="market.calendar")
        submissions.register("GP", listings.track_objection)
        buyers.register(orders.related_party)
