"""The zone over the JSON API: the same pipeline, records and audit as the workspace page."""

from ninja import Field, Router, Schema

from pdao.authorization.models import Authorization
from pdao.core.access import api_requires
from pdao.core.apierrors import ApiError
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation
from pdao.zone import engine, policy, services

router = Router(tags=["zone"])


class QueryIn(Schema):
    sql: str = Field(max_length=engine.MAX_SQL_CHARS)
    form: str = "aggregate"
    # For a DP query: ε to spend, within the agreement's bounds (default 0.5).
    epsilon: float | None = Field(default=None, gt=0, allow_inf_nan=False)


class QueryOut(Schema):
    id: int
    decision: str  # released, refused (or interrupted)
    rule: str | None
    message: str | None
    columns: list[str]
    rows: list[list]
    suppressed_cells: int
    epsilon_spent: float
    epsilon_left: float
    notes: list[str] = []


def _own(request, code: str) -> Authorization:
    found = Authorization.objects.filter(
        code=code, operator_id=request.user.organisation_id
    ).first()
    if found is None:
        raise ApiError(404, "not_found", "没有该授权的工作空间", "No such workspace")
    return found


@router.get("/{code}/describe", summary="What an authorization's workspace sees")
@api_requires(Perm.AUTHZ_APPLY)
def describe(request, code: str) -> dict:
    return services.describe(_own(request, code))


@router.post("/{code}/queries", response=QueryOut, summary="Run a query in the zone")
@api_requires(Perm.AUTHZ_APPLY)
def run_query(request, code: str, payload: QueryIn):
    if payload.form not in engine.FORMS:
        raise ApiError(400, "bad_form", "未知的输出形式", "Unknown output form")
    authorization = _own(request, code)
    try:
        query = services.run_query(
            authorization,
            by=request.user,
            sql=payload.sql,
            form=payload.form,
            epsilon=payload.epsilon,
        )
    except RuleViolation as error:
        raise ApiError(400, "bad_request", str(error), "The request was refused") from None
    return {
        "id": query.pk,
        "decision": query.decision,
        "rule": query.rule or None,
        "message": query.message or None,
        "columns": query.result.get("columns", []),
        "rows": query.result.get("rows", []),
        "suppressed_cells": query.suppressed_cells,
        "epsilon_spent": query.epsilon_spent,
        "epsilon_left": policy.epsilon_left(authorization),
        "notes": query.result.get("notes", []),
    }
