from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from pdao.core import context


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) and its client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = context.RequestContext(
            request_id=context.request_id_from(request), ip=context.client_ip(request)
        )
        request.request_id = ctx.request_id
        token = context.activate(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = ctx.request_id
        return response


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose otherwise with the language switch.

    Django's LocaleMiddleware follows the browser's Accept-Language; a city's platform should
    not change language because an official's browser happens to be set to English.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        translation.activate(chosen if chosen in supported else settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class NoStoreMiddleware:
    """Cache-Control: no-store on every response the platform renders — pages, fragments,
    downloads and API answers carry credentials shown once, personal data, or decisions about
    who may see what, and none of them may stay in a browser's or a proxy's cache. Static files
    (served by WhiteNoise before this runs) keep their long-lived caching; a view that set its
    own Cache-Control keeps it. Under the APIs, Django's HTML 405 becomes a JSON one too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and is_api(request):
            response = _method_not_allowed(response)
        if "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response


def _method_not_allowed(response) -> HttpResponse:
    """Django's 405 is an empty HTML answer; the APIs answer every error in JSON."""
    allowed = response.get("Allow", "")
    answer = JsonResponse(
        {
            "code": "method_not_allowed",
            "message": f"请求方法不允许 / Method not allowed ({allowed})",
        },
        status=405,
    )
    if allowed:
        answer["Allow"] = allowed
    return answer


def is_api(request) -> bool:
    return request.path.startswith(("/api/", "/gateway/"))


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseNulMiddleware:
    """A NUL character in the query string, a JSON body or a form field is refused with 400
    before any view runs: no text column takes it (PostgreSQL raises), and no legitimate
    request carries it (found by Schemathesis, and in form posts by an attacker session).
    Uploaded files are binary and are not inspected here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        nul = "%00" in query or "\x00" in query or "\x00" in request.path
        if not nul and request.content_type == "application/json":
            try:
                body = request.body
            except RequestDataTooBig:
                return too_large(request)
            nul = b"\x00" in body or b"\\u0000" in body
        elif not nul and request.method == "POST" and request.content_type in FORMS:
            try:
                fields = request.POST.lists()
            except RequestDataTooBig:
                return too_large(request)
            except MultiPartParserError:
                return HttpResponseBadRequest("表单数据无法解析 / Malformed form data")
            nul = any("\x00" in key + "".join(values) for key, values in fields)
        if nul:
            if request.path.startswith(("/api/", "/gateway/")):
                return JsonResponse(
                    {"code": "bad_request", "message": "请求含有空字符 / NUL character in request"},
                    status=400,
                )
            return HttpResponseBadRequest("请求含有空字符 / NUL character in request")
        return self.get_response(request)


def too_large(request) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413, in the API's JSON error format on the API."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    zh, en = f"请求体超过 {limit:,} 字节的上限", f"Request body over the {limit:,}-byte limit"
    if is_api(request):
        return JsonResponse({"code": "payload_too_large", "message": f"{zh} / {en}"}, status=413)
    return HttpResponse(zh, status=413, content_type="text/plain; charset=utf-8")
