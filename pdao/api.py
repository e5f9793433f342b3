"""The platform's JSON API (django-ninja), described by its generated OpenAPI document.

Session authentication with CSRF for the browser; the consumer gateway (OAuth2 client
credentials) comes with the products pillar. Each handler declares its permission with
`pdao.core.access.api_requires` and filters what it returns to what the caller may see.
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from pdao.accounts.api import router as accounts_router
from pdao.audit.api import router as audit_router
from pdao.core.access import public
from pdao.core.apierrors import ApiError
from pdao.core.middleware import too_large
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


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request, {"code": "unauthenticated", "message": "请先登录 / Not signed in"}, status=401
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(
        request, {"code": "not_found", "message": "没有该资源 / Not found"}, status=404
    )


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    # Where and what kind, never the submitted values back.
    errors = [
        {"loc": [str(p) for p in e.get("loc", [])], "type": e.get("type", "")} for e in exc.errors
    ]
    return api.create_response(
        request,
        {"code": "invalid_request", "message": "请求参数无效 / Invalid request", "errors": errors},
        status=422,
    )


@api.exception_handler(HttpError)
def _http_error(request, exc):  # ninja's own: an unparsable body, a wrong method
    return api.create_response(
        request,
        {"code": "bad_request", "message": "请求无法处理 / Request refused"},
        status=exc.status_code,
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    return too_large(request)


@api.exception_handler(ApiError)
def _api_error(request, exc):
    return api.create_response(
        request, {"code": exc.code, "message": exc.message}, status=exc.status
    )


api.add_router("/accounts", accounts_router)
api.add_router("/audit", audit_router)
api.add_router("/ledger", ledger_router)
api.add_router("/zone", zone_router)
