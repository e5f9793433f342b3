"""Per-request context (request id, client address) that services and logs read.

The middleware fills it at the start of each request; outside a request (management commands,
tasks) it holds a fresh request id and no address, so audit events from scripts are still
traceable to one run.
"""

import ipaddress
import logging
import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    ip: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("pdao_request_context", default=None)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current() -> RequestContext:
    """The context of the running request, or one for this process's unit of work."""
    context = _current.get()
    if context is None:
        context = RequestContext(request_id=new_request_id())
        _current.set(context)
    return context


def new_request_id() -> str:
    return uuid.uuid4().hex


def activate(context: RequestContext):
    """Make `context` current; returns the token for `deactivate`."""
    return _current.set(context)


def deactivate(token) -> None:
    _current.reset(token)


def request_id_from(request) -> str:
    """Reuse a well-formed X-Request-ID from a trusted proxy, else mint one."""
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if incoming and _from_trusted_proxy(request) and _REQUEST_ID.match(incoming):
        return incoming
    return new_request_id()


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the last untrusted hop of X-Forwarded-For when the
    request came through a proxy listed in PDAO_TRUSTED_PROXIES. Also used by django-axes, so
    lockouts and audit events name the same address."""
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    if not _from_trusted_proxy(request):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        address = _valid_ip(hop)
        if address and address not in settings.TRUSTED_PROXIES:
            return address
    return remote


def _from_trusted_proxy(request) -> bool:
    return bool(settings.TRUSTED_PROXIES) and (
        request.META.get("REMOTE_ADDR", "") in settings.TRUSTED_PROXIES
    )


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record so a log line can be tied to its audit events."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        record.request_id = context.request_id if context else "-"
        return True
