"""The platform's JSON API (django-ninja), described by its generated OpenAPI document.

Session authentication with CSRF for the browser; the consumer gateway (OAuth2 client
credentials) comes with the products pillar. Each handler declares its permission with
`pdao.core.access.api_requires` and filters what it returns to what the caller may see.
"""

from django.core.exceptions import PermissionDenied
from ninja import NinjaAPI
from ninja.security import django_auth

from pdao.accounts.api import router as accounts_router
from pdao.audit.api import router as audit_router
from pdao.core.access import public
from pdao.core.apierrors import ApiError
from pdao.ledger.api import router as ledger_router
from pdao.zone.api import router as zone_router

api = NinjaAPI(
    title="pdao API",
    version="1",
    description="柳州市公共数据授权运营平台 JSON API / Public data authorized operation platform",
    auth=django_auth,
    urls_namespace="api",
    docs_decorator=public(),
)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(
        request,
        {"code": "forbidden", "message": "无权执行此操作 / Permission denied"},
        status=403,
    )


@api.exception_handler(ApiError)
def _api_error(request, exc):
    return api.create_response(
        request, {"code": exc.code, "message": exc.message}, status=exc.status
    )


api.add_router("/accounts", accounts_router)
api.add_router("/audit", audit_router)
api.add_router("/ledger", ledger_router)
api.add_router("/zone", zone_router)
