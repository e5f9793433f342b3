"""Error pages in the platform's own look and language; never a stack trace or data. Under
/api/ and /gateway/ the same errors come in the APIs' JSON format ({"code", "message"})."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

from pdao.core.middleware import is_api, too_large

_API = {
    400: ("malformed_request", "请求格式错误 / Malformed request"),
    403: ("forbidden", "无权执行此操作 / Permission denied"),
    404: ("not_found", "资源不存在 / Not found"),
    500: ("internal_error", "服务内部错误 / Internal error"),
}


def _json(status: int) -> JsonResponse:
    code, message = _API[status]
    return JsonResponse({"code": code, "message": message}, status=status)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    if is_api(request):
        return _json(400)
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    if is_api(request):
        return _json(403)
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    if is_api(request):
        return _json(404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if is_api(request):
        return _json(500)
    # Rendered without a request context: the failure may be the database the menu needs.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())
