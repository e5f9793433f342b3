"""The consumer gateway (`/gateway/v1/`): OAuth2 bearer tokens from the client-credentials
grant, one operation per product call. Its OpenAPI document is generated, committed under
docs/openapi/ and checked for drift in CI."""

import hashlib
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security.base import AuthBase
from oauth2_provider.models import AccessToken
from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from pdao.core.access import public
from pdao.core.context import client_ip
from pdao.core.middleware import too_large
from pdao.products import gateway


class ConsumerToken(AuthBase):
    """A live access token of an unrevoked credential of an active consumer organisation,
    presented as `Authorization: Bearer <token>`."""

    openapi_type = "oauth2"
    openapi_description = "OAuth2 client credentials (RFC 6749 §4.4); token lifetime one hour"
    openapi_flows = {
        "clientCredentials": {
            "tokenUrl": "/gateway/oauth/token",
            "scopes": {"products": "调用数据产品 / call data products"},
        }
    }

    def __call__(self, request: HttpRequest):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str):
        """django-oauth-toolkit's own lookup (by the token's SHA-256 checksum, the way its
        validator loads tokens) and validity check, joined with the credential and its
        organisation in one query."""
        found = (
            AccessToken.objects.select_related("application__credential__organisation")
            .filter(token_checksum=hashlib.sha256(token.encode()).hexdigest())
            .first()
        )
        if found is None or not found.is_valid(["products"]) or found.application is None:
            return None
        credential = getattr(found.application, "credential", None)
        if credential is None or not credential.is_active or not credential.organisation.is_active:
            return None
        return credential


api = NinjaAPI(
    title="pdao gateway",
    version="1",
    description="柳州市公共数据授权运营平台 数据产品网关 / Data product gateway. "
    "Obtain a token with the OAuth2 client-credentials grant (RFC 6749 §4.4) at "
    "/gateway/oauth/token, then call products with `Authorization: Bearer <token>`.",
    auth=ConsumerToken(),
    urls_namespace="gateway",
    docs_decorator=public(),
)


class Problem(Schema):
    name: str
    code: str
    message: str


class ErrorOut(Schema):
    code: str = Field(description="stable machine code, e.g. rate_limited")
    message: str = Field(description="中文 / English")
    trace_id: str | None = None
    errors: list[Problem] | None = None
    rule: str | None = None


class CallIn(Schema):
    # Strict types: JSON true is a boolean, never the integer 1; each value reaches the
    # product's own parameter check as sent, which names the parameter it refuses.
    params: dict[str, StrictBool | StrictInt | StrictFloat | StrictStr | None] = Field(
        default_factory=dict, description="the product's declared parameters"
    )


class CallOut(Schema):
    product: str
    filing_no: str
    columns: list[str]
    rows: list[list]
    row_count: int
    suppressed_cells: int
    watermarked: bool
    trace_id: str


def _error_response(request, status: int, code: str, zh: str, en: str):
    return api.create_response(request, {"code": code, "message": f"{zh} / {en}"}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = _error_response(
        request, 401, "invalid_token", "访问令牌无效、已过期或凭证已吊销",
        "Missing, invalid or expired access token, or revoked credential",
    )  # fmt: skip
    response["WWW-Authenticate"] = 'Bearer realm="pdao", error="invalid_token"'
    return response


@api.exception_handler(ValidationError)
def _malformed(request, exc):
    return _error_response(request, 400, "malformed_request", "请求格式错误", "Malformed request")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error_response(request, 404, "not_found", "没有该资源", "Not found")


@api.exception_handler(HttpError)
def _http_error(request, exc):  # ninja's own: an unparsable body (400), a wrong method (405)
    if exc.status_code == 400:
        return _malformed(request, exc)
    return _error_response(
        request, exc.status_code, "http_error", "请求无法处理", "Request refused"
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    return too_large(request)


@api.exception_handler(Exception)
def _server_error(request, exc):  # never a stack trace, never data
    logging.getLogger("pdao.gateway").exception("gateway error (%s)", type(exc).__name__)
    return _error_response(request, 500, "internal_error", "服务内部错误", "Internal error")


@api.post(
    "/products/{code}",
    response={200: CallOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
              422: ErrorOut, 429: ErrorOut},
    summary="Call a data product",
    description="Runs the product in the zone under its authorization for the caller's "
    "subscription, within rate limit and quotas; record-level outputs carry a watermark for "
    "the caller. Every call is metered and answered with a trace id (also in X-Trace-Id).",
    operation_id="call_product",
)  # fmt: skip
def call_product(request, code: str, payload: CallIn):
    answer = gateway.call(request.auth, code[:40], payload.params, source_ip=client_ip(request))
    # The very bytes whose SHA-256 the delivery record holds.
    response = HttpResponse(answer.content, status=answer.status, content_type="application/json")
    for header, value in answer.headers.items():
        response[header] = value
    return response


@api.get(
    "/products/{code}/report",
    response={400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
              429: ErrorOut, 503: ErrorOut},
    summary="Download the latest released edition of a report product",
    description="PDF (format=pdf) or Word (format=docx) of the newest edition that passed "
    "output review; metered like a call, with the trace id in X-Trace-Id and the edition in "
    "X-Report-Edition.",
    operation_id="get_report",
    openapi_extra={"responses": {200: {"description": "The report file", "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
            "schema": {"type": "string", "format": "binary"}}}}}},
)  # fmt: skip
def get_report(request, code: str, format: str = "pdf"):
    answer = gateway.report(
        code[:40],
        format[:10],
        credential=request.auth,
        consumer_id=request.auth.organisation_id,
        source_ip=client_ip(request),
    )
    response = HttpResponse(answer.content, status=answer.status, content_type=answer.content_type)
    for header, value in answer.headers.items():
        response[header] = value
    return response
