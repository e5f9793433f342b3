"""Access rules for views and API handlers: every one declares exactly one.

    @requires(Perm.AUDIT_VIEW)               # a permission from pdao.core.permissions
    @requires_login()                        # any signed-in user (own password, workbench)
    @public()                                # anyone, signed in or not (portal, login page)

The rule is kept on the view as `access_rule`, so the permission suite
(`tests/test_permissions.py`) can walk the URL configuration and check every view with every
role; a view without a rule fails that suite the day it lands.

Anonymous visitors are sent to the login page; signed-in users without the permission get 403.
API handlers sit behind django-ninja's session auth, so anonymous calls get 401 there first.
"""

import functools
from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed

from pdao.core.context import client_ip
from pdao.core.permissions import Perm

Kind = Literal["public", "login", "permission"]


@dataclass(frozen=True, slots=True)
class AccessRule:
    kind: Kind
    permission: Perm | None = None
    methods: tuple[str, ...] = ("GET", "HEAD")

    def allows(self, user) -> bool:
        if self.kind == "public":
            return True
        if not (user.is_authenticated and user.is_active):
            return False
        return self.kind == "login" or user.has_perm(self.permission)


def _decorate(rule: AccessRule, *, enforce_methods: bool):
    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if enforce_methods and request.method not in rule.methods:
                return HttpResponseNotAllowed(rule.methods)
            if rule.kind != "public":
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                if not rule.allows(request.user):
                    raise PermissionDenied(rule.permission)
            return view(request, *args, **kwargs)

        wrapped.access_rule = rule
        return wrapped

    return decorator


def requires(permission: Perm, *, methods: tuple[str, ...] = ("GET", "HEAD")):
    """Only users whose roles hold `permission`; only the given HTTP methods."""
    return _decorate(AccessRule("permission", permission, methods), enforce_methods=True)


def requires_login(*, methods: tuple[str, ...] = ("GET", "HEAD")):
    """Any signed-in, active user."""
    return _decorate(AccessRule("login", None, methods), enforce_methods=True)


def public(*, methods: tuple[str, ...] = ("GET", "HEAD")):
    """Anyone. Use for pages that show only public information."""
    return _decorate(AccessRule("public", None, methods), enforce_methods=True)


def api_requires(permission: Perm):
    """The same as `requires` for a django-ninja handler (ninja routes the methods itself)."""
    return _decorate(AccessRule("permission", permission), enforce_methods=False)


def api_requires_login():
    return _decorate(AccessRule("login", None), enforce_methods=False)


def rate_limited(rate: str, *, methods: tuple[str, ...] = ("POST",)):
    """Limit anonymous-capable submissions per client address (django-ratelimit), keyed by the
    same `client_ip` as audit events and lockouts. Over the limit the view is not called: the
    visitor gets 429 with a message, and nothing is saved."""
    from django.shortcuts import render
    from django_ratelimit.core import is_ratelimited

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods and is_ratelimited(
                request,
                group=f"{view.__module__}.{view.__name__}",
                key=lambda _group, req: client_ip(req) or "unknown",
                rate=rate,
                method=list(methods),
                increment=True,
            ):
                return render(request, "errors/429.html", status=429)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
