from django.conf import settings
from django.utils.translation import get_language

from pdao.core import navigation


def platform(request):
    english = (get_language() or "").startswith("en")
    city = settings.CITY_NAME_EN if english else settings.CITY_NAME
    name = (
        f"{city} Public Data Authorized Operation Platform"
        if english
        else f"{city}公共数据授权运营平台"
    )
    return {
        "platform_name": name,
        "demo_mode": settings.DEMO,
        "oidc_enabled": settings.OIDC_ENABLED,
        "menu": navigation.menu_for(request.user) if hasattr(request, "user") else [],
    }
