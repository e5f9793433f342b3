"""专区工作空间: an operator's place to query its authorized data; what leaves is only what
the engine released. Supervisors see every query's record."""

import csv
import io

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from pdao.audit.export import safe_cell
from pdao.authorization import access
from pdao.authorization.choices import OutputForm
from pdao.authorization.models import Authorization
from pdao.core.access import requires
from pdao.core.downloads import attach
from pdao.core.filters import whole_number
from pdao.core.htmx import is_htmx
from pdao.core.lists import listing
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation
from pdao.zone import engine, policy, sample, services
from pdao.zone.filtersets import QUERY_COLUMNS, QueryFilter
from pdao.zone.models import ZoneQuery

GET_POST = ("GET", "HEAD", "POST")


@requires(Perm.AUTHZ_APPLY)
def workspaces(request):
    authorizations = Authorization.objects.filter(
        operator_id=request.user.organisation_id
    ).select_related("application")
    return render(request, "zone/workspaces.html", {"authorizations": authorizations})


def _own_authorization(request, code: str) -> Authorization:
    return get_object_or_404(
        Authorization.objects.filter(operator_id=request.user.organisation_id), code=code
    )


@requires(Perm.AUTHZ_APPLY, methods=GET_POST)
def workspace(request, code: str):
    """The query is handed to the task worker and the page follows it (the result card polls
    query_status); one may leave and come back through the recent queries."""
    authorization = _own_authorization(request, code)
    query = None
    if request.method == "POST":
        sql = request.POST.get("sql", "").strip()
        form = request.POST.get("form", "aggregate")
        if not sql or form not in engine.FORMS:
            messages.error(request, _("请输入 SQL 并选择输出形式。"))
        else:
            try:
                query = services.submit_query(authorization, by=request.user, sql=sql, form=form)
            except RuleViolation as error:
                messages.error(request, str(error))
            else:
                return redirect(f"{request.path}?query={query.pk}")
    active = services.active_query(authorization, request.user)
    if pk := whole_number(request.GET.get("query")):
        query = authorization.zone_queries.filter(pk=pk).first()
    elif query is None:
        query = active  # back on the page while a query runs: follow it again
    recent = authorization.zone_queries.all()[:20]
    derived = [
        {
            "name": d.name,
            "size": services.size_label(d),
            "created_at": d.created_at,
            "destroyed_at": d.destroyed_at,
        }
        for d in authorization.derived_datasets.all()
    ]
    return render(
        request,
        "zone/workspace.html",
        {
            "authorization": authorization,
            "schema": services.describe(authorization),
            "query": query,
            "busy": active is not None,
            "recent": recent,
            "derived": derived,
            "forms": [(f, OutputForm(f).label) for f in engine.FORMS],
            "shapes": engine.SHAPES,
            "last_sql": request.POST["sql"] if "sql" in request.POST else getattr(query, "sql", ""),
            "last_form": request.POST.get("form") or getattr(query, "form", "aggregate"),
        },
    )


@requires(Perm.AUTHZ_APPLY, methods=("POST",))
def query_cancel(request, code: str, pk: int):
    """取消: one's own query that still waits for the worker."""
    authorization = _own_authorization(request, code)
    query = get_object_or_404(authorization.zone_queries, pk=pk)
    try:
        services.cancel_query(query, by=request.user)
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已取消查询。"))
    return redirect(f"{reverse('zone:workspace', args=[authorization.code])}?query={query.pk}")


@requires(Perm.AUTHZ_APPLY)
def query_status(request, code: str, pk: int):
    """The result card of one query of the workspace, polled while it is queued or running."""
    authorization = _own_authorization(request, code)
    rows = authorization.zone_queries.filter(pk=pk)
    query = get_object_or_404(rows)
    if query.pending and services.mark_interrupted(queries=rows):  # its worker may be gone
        query.refresh_from_db()
    context = {
        "authorization": authorization,
        "query": query,
        "swapped": is_htmx(request),
        "busy": services.active_query(authorization, request.user) is not None,
        "recent": authorization.zone_queries.all()[:20],
    }
    return render(request, "zone/_result.html", context)


def _visible_queries(user):
    if user.has_perm(Perm.AUTHZ_VIEW_ALL):
        return ZoneQuery.objects.all()
    return ZoneQuery.objects.filter(authorization__operator_id=user.organisation_id)


@requires(Perm.AUTHZ_VIEW_ALL)
def queries(request):
    return listing(
        request,
        # neither the list nor its export reads a query's SQL or result
        ZoneQuery.objects.select_related("authorization", "user").defer("sql", "result", "cells"),
        QueryFilter,
        "zone/queries.html",
        columns=QUERY_COLUMNS,
        title=_("专区查询记录"),
    )


@requires(Perm.CATALOGUE_VIEW)
def query_detail(request, pk: int):
    if not (request.user.has_perm(Perm.AUTHZ_VIEW_ALL) or request.user.has_perm(Perm.AUTHZ_APPLY)):
        raise Http404
    query = get_object_or_404(_visible_queries(request.user).select_related("authorization"), pk=pk)
    # What the register saw (numbers agreed with earlier ones, groups shown inconsistently near
    # k) is compared with everyone's releases: for the supervisor, not the operator.
    watching = request.user.has_perm(Perm.AUTHZ_VIEW_ALL)
    return render(request, "zone/query_detail.html", {"query": query, "watching": watching})


@requires(Perm.AUTHZ_APPLY)
def query_download(request, pk: int, fmt: str):
    """A released result as CSV or Excel: only what disclosure control let out."""
    query = get_object_or_404(_visible_queries(request.user), pk=pk, decision="released")
    columns, rows = query.result["columns"], query.result["rows"]
    name = f"zone-query-{query.pk}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([safe_cell(c) for c in columns])
        writer.writerows([_cell(v) for v in row] for row in rows)
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append([safe_cell(c) for c in columns])
        for row in rows:
            sheet.append([_cell(v) for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404
    attach(response, f"专区查询结果-{query.pk}.{fmt}", fallback=f"{name}.{fmt}")
    return response


def _cell(value):
    """Numbers stay numbers; text a spreadsheet would run as a formula is neutralised."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return safe_cell(value) if value is not None else ""


@requires(Perm.AUTHZ_APPLY)
def sample_download(request, code: str, table: str):
    """A synthetic sample (1,000 rows, fake values) of one authorized table, to develop
    against outside the zone; its columns are the authorized fields only."""
    authorization = get_object_or_404(
        Authorization.objects.filter(operator_id=request.user.organisation_id), code=code
    )
    grant = access.grant(authorization)
    if isinstance(grant, access.Decision):
        raise Http404
    built = policy.build(authorization, grant)
    if table not in built.tables:
        raise Http404
    spec = built.tables[table]
    body = sample.as_csv(spec, list(spec.columns), seed=authorization.pk)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    attach(response, f"合成样本-{table}.csv", fallback="sample.csv")
    return response


@requires(Perm.AUTHZ_APPLY, methods=("POST",))
def derive(request, code: str):
    """Keep a query's result as a derived dataset in the zone (nothing leaves it)."""
    authorization = get_object_or_404(
        Authorization.objects.filter(operator_id=request.user.organisation_id), code=code
    )
    try:
        dataset = services.save_derived(
            authorization,
            by=request.user,
            name=request.POST.get("name", ""),
            sql=request.POST.get("sql", ""),
        )
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("已生成衍生数据「%(n)s」（%(size)s），留在专区内，可像其他数据表一样查询。")
            % {"n": dataset.name, "size": services.size_label(dataset)},
        )
    return redirect("zone:workspace", code=code)
