"""访问判定 — the one function that says whether an operator may use a field of a resource
under an authorization, with an output form, now; and why not. The zone, the products and
the gateway all ask it.

    decision = decide(operator=org, authorization="LZ-SQ-2026-0001",
                      resource="450200-004-00001", field="缴费金额", output_form="dp")
    if not decision: refuse(decision.code, decision.message)

Speed and freshness: the authorization's row (status, term, revision) is read on every call —
one indexed lookup, so a suspension is seen by the very next request in every process, with
or without a shared cache. What it grants (resources, fields, output forms: joins over the
demand list) is cached under the row's `revision`, which every state change increments, so a
stale scope can never be used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization, DemandField

CACHE_SECONDS = 3600


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str  # "allowed" or why not: a stable code for machines
    message: str  # Chinese, for people

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class Grant:
    """What one authorization grants: {resource code: {field name: output forms}}."""

    authorization: str
    operator_id: int
    scope: dict[str, dict[str, frozenset[str]]]
    revision: int = 0  # changes with every state change of the authorization


_STATE = ("pk", "code", "operator_id", "status", "starts_on", "ends_on", "revision")


def _state(authorization) -> dict | None:
    """The authorization's row, read on every call with one parametrised SELECT (the ORM's
    query compilation cost more than the query itself on this hot path: bench/access.py)."""
    by_code = isinstance(authorization, str)
    table = connection.ops.quote_name(Authorization._meta.db_table)
    with connection.cursor() as cursor:
        # Only the quoted table name and a fixed column name are interpolated; the value is a
        # parameter.
        cursor.execute(
            "SELECT id, code, operator_id, status, starts_on, ends_on, revision FROM "  # noqa: S608
            f"{table} WHERE {'code' if by_code else 'id'} = %s",
            [authorization if by_code else authorization.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    state = dict(zip(_STATE, row, strict=True))
    for key in ("starts_on", "ends_on"):  # SQLite hands dates back as text
        if isinstance(state[key], str):
            state[key] = date.fromisoformat(state[key])
    return state


@lru_cache(maxsize=1024)
def _scope(pk: int, revision: int) -> dict[str, dict[str, frozenset[str]]]:
    """The granted scope of one revision of an authorization: immutable, so it is memoised in
    the process and shared through the cache; a new revision is a new key."""
    key = f"pdao:authz:scope:{pk}:{revision}"
    scope = cache.get(key)
    if scope is None:
        scope = {}
        rows = DemandField.objects.filter(item__application__authorization__pk=pk).values_list(
            "item__resource__code", "field__name", "item__output_forms"
        )
        for resource, field, forms in rows:
            scope.setdefault(resource, {})[field] = frozenset(forms)
        cache.set(key, scope, CACHE_SECONDS)
    return scope


def _refuse(code: str, message: str) -> Decision:
    return Decision(False, code, message)


def _status_decision(state: dict | None, operator_id: int | None, today: date) -> Decision | None:
    if state is None:
        return _refuse("no_authorization", _("没有该授权：无场景不授权"))
    if operator_id is not None and state["operator_id"] != operator_id:
        return _refuse("not_operator", _("该授权不属于此运营单位"))
    status = state["status"]
    if status == AuthorizationStatus.SUSPENDED:
        return _refuse("suspended", _("授权已暂停"))
    if status == AuthorizationStatus.REVOKED:
        return _refuse("revoked", _("授权已撤销"))
    if status == AuthorizationStatus.EXPIRED or today > state["ends_on"]:
        return _refuse("expired", _("授权已到期"))
    if today < state["starts_on"]:
        return _refuse("not_started", _("授权尚未生效"))
    return None


def decide(
    *,
    operator,
    authorization,
    resource: str,
    field: str,
    output_form: str,
    today: date | None = None,
) -> Decision:
    """May `operator` (an Organisation or its id) use `field` of `resource` (catalogue code)
    under `authorization` (its code or instance), releasing results as `output_form`, today?"""
    today = today or timezone.localdate()
    operator_id = getattr(operator, "pk", operator)
    state = _state(authorization)
    refused = _status_decision(state, operator_id, today)
    if refused is not None:  # a Decision is falsy when it refuses
        return refused
    scope = _scope(state["pk"], state["revision"])
    if resource not in scope:
        return _refuse("resource_out_of_scope", _("该数据资源不在授权范围内"))
    if field not in scope[resource]:
        return _refuse("field_out_of_scope", _("该字段不在授权范围内"))
    if output_form not in scope[resource][field]:
        return _refuse("output_form_not_allowed", _("授权不允许以此形式输出该字段"))
    return Decision(True, "allowed", _("允许"))


def grant(authorization, *, operator=None, today: date | None = None) -> Grant | Decision:
    """The whole scope of a live authorization (for a workspace or a product's policy), or
    the refusal when it is not live."""
    today = today or timezone.localdate()
    state = _state(authorization)
    refused = _status_decision(state, getattr(operator, "pk", operator), today)
    if refused is not None:  # a Decision is falsy when it refuses
        return refused
    return Grant(
        state["code"],
        state["operator_id"],
        _scope(state["pk"], state["revision"]),
        state["revision"],
    )
