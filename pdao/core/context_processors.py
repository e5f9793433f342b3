from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from pdao.core import navigation, worker
from pdao.core.permissions import Role

# Those whose work waits on the task worker: the bureau (versions, ledger), supervisors
# (monitoring) and providers (uploads).
WAITING_ON_WORKER = (Role.BUREAU_ADMIN, Role.SUPERVISOR, Role.PROVIDER)


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
        "worker_status": SimpleLazyObject(lambda: _worker_status(request)),
    }


def _worker_status(request):
    """The worker's status for those whose work waits on it; None for anyone else."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if not any(role in user.roles for role in WAITING_ON_WORKER):
        return None
    return worker.status()
