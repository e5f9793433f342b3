from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "pdao.core"
    label = "core"
    verbose_name = _("平台")

    def ready(self):
        # Django 6.1's empty choice of a select ("- Select an option -") has no Chinese in
        # Django's catalogue yet; the platform says it in its own words, in both languages.
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = _("— 请选择 —")
