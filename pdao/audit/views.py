from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions, export
from pdao.audit.forms import EventFilterForm
from pdao.audit.models import AuditEvent
from pdao.audit.services import record
from pdao.core.access import requires
from pdao.core.downloads import attach
from pdao.core.htmx import is_htmx
from pdao.core.permissions import Perm

EXPORT = actions.define("audit.export", gettext_lazy("导出审计日志"))


@requires(Perm.AUDIT_VIEW)
def event_list(request):
    form = EventFilterForm(request.GET or None)
    events = form.filter(AuditEvent.objects.all())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for event in page:
        event.action_label = actions.label(event.action)
    query = request.GET.copy()
    query.pop("page", None)
    template = "audit/_event_rows.html" if is_htmx(request) else "audit/event_list.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


@requires(Perm.AUDIT_EXPORT)
def event_export(request):
    form = EventFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            _("筛选条件无效：") + "；".join(m for ms in form.errors.values() for m in ms),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        return HttpResponse(
            _("不支持的导出格式（可选 xlsx、csv）。"),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    events = form.filter(AuditEvent.objects.all())[: export.MAX_ROWS]
    record(
        EXPORT,
        by=request.user,
        target_ref=("audit.auditevent", ""),
        changes={"filters": {k: str(v) for k, v in form.active_filters().items()}, "format": fmt},
        summary=_("导出审计日志（%(fmt)s）") % {"fmt": fmt.upper()},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    filename = f"审计日志-{stamp}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            export.csv_chunks(events.iterator(chunk_size=2000)),
            content_type="text/csv; charset=utf-8",
        )
    else:
        response = HttpResponse(
            export.xlsx_bytes(events.iterator(chunk_size=2000)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    attach(response, filename, fallback=f"audit-events-{stamp}.{fmt}")
    return response
