"""监测预警 pages: alerts with their evidence and workflow, and the rules' settings."""

from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.core.access import requires
from pdao.core.downloads import attach
from pdao.core.filters import whole_number
from pdao.core.lists import listing
from pdao.core.permissions import Perm
from pdao.core.posts import perform
from pdao.core.rules import RuleViolation
from pdao.supervision import dashboard as dashboards
from pdao.supervision import emergency, filings, incidents, services, spotchecks
from pdao.supervision.choices import OPEN_STATUSES, AlertStatus, Severity
from pdao.supervision.filtersets import (
    ACTION_COLUMNS,
    ALERT_COLUMNS,
    INCIDENT_COLUMNS,
    SPOTCHECK_COLUMNS,
    ActionFilter,
    AlertFilter,
    IncidentFilter,
    SpotCheckFilter,
)
from pdao.supervision.forms import SpotCheckForm
from pdao.supervision.models import (
    Alert,
    EmergencyAction,
    Incident,
    MonitoringRule,
    SpotCheck,
    SpotCheckItem,
)

POST = ("POST",)


@requires(Perm.SUPERVISION_VIEW)
def alert_list(request):
    return listing(
        request,
        Alert.objects.select_related("rule"),
        AlertFilter,
        "supervision/alert_list.html",
        columns=ALERT_COLUMNS,
        title=_("监测告警"),
    )


@requires(Perm.SUPERVISION_VIEW)
def alert_detail(request, pk: int):
    alert = get_object_or_404(Alert.objects.select_related("rule", "handled_by"), pk=pk)
    notes = [
        {
            "at": timezone.localtime(datetime.fromisoformat(n["at"])),
            "by": n["by"],
            "status": AlertStatus(n["status"]).label,
            "note": n["note"],
        }
        for n in alert.notes
    ]
    return render(
        request,
        "supervision/alert_detail.html",
        {
            "alert": alert,
            "notes": notes,
            "S": AlertStatus,
            "kinds": EmergencyAction.Kind.choices,
            "actions": alert.actions.select_related("taken_by", "lifted_by"),
        },
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def alert_handle(request, pk: int):
    alert = get_object_or_404(Alert, pk=pk)
    return perform(
        request,
        lambda: services.handle_alert(
            alert,
            by=request.user,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        ),
        _("已更新告警状态。"),
        ("supervision:alert_detail", pk),
    )


@requires(Perm.SUPERVISION_VIEW)
def rule_list(request):
    rules = services.ensure_rules()
    return render(
        request, "supervision/rule_list.html", {"rules": rules, "severities": Severity.choices}
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def rule_update(request, pk: int):
    rule = get_object_or_404(MonitoringRule, pk=pk)
    try:
        threshold = float(request.POST.get("threshold", ""))
        window_minutes = int(request.POST.get("window_minutes", ""))
    except ValueError:
        messages.error(request, _("阈值和时间窗口应为数字。"))
        return redirect("supervision:rule_list")
    return perform(
        request,
        lambda: services.update_rule(
            rule,
            by=request.user,
            enabled=request.POST.get("enabled") == "on",
            severity=request.POST.get("severity", ""),
            threshold=threshold,
            window_minutes=window_minutes,
        ),
        _("已保存规则「%(name)s」。") % {"name": rule.label},
        "supervision:rule_list",
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def rules_run(request):
    raised = services.run_rules()
    messages.success(request, _("已运行全部规则，新告警 %(n)s 条。") % {"n": len(raised)})
    return redirect("supervision:alert_list")


# --- Emergency response -----------------------------------------------------------------------


@requires(Perm.SUPERVISION_VIEW)
def action_list(request):
    return listing(
        request,
        EmergencyAction.objects.select_related("taken_by", "lifted_by", "alert"),
        ActionFilter,
        "supervision/action_list.html",
        columns=ACTION_COLUMNS,
        title=_("应急处置"),
        context={"kinds": EmergencyAction.Kind.choices},
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def action_take(request):
    alert = Alert.objects.filter(pk=request.POST.get("alert") or 0).first()
    incident = Incident.objects.filter(pk=request.POST.get("incident") or 0).first()
    if incident is not None:
        to = ("supervision:incident_detail", incident.pk)
    elif alert is not None:
        to = ("supervision:alert_detail", alert.pk)
    else:
        to = "supervision:action_list"
    return perform(
        request,
        lambda: emergency.take(
            request.POST.get("kind", ""),
            request.POST.get("target", "")[:100],
            by=request.user,
            reason=request.POST.get("reason", ""),
            alert=alert,
            incident=incident,
        ),
        lambda action: _("已生效：%(a)s。下一次请求起即被拒绝。") % {"a": action},
        to,
    )


@requires(Perm.AUTHZ_DECIDE, methods=POST)
def action_lift(request, pk: int):
    action = get_object_or_404(EmergencyAction, pk=pk)
    return perform(
        request,
        lambda: emergency.lift(action, by=request.user, reason=request.POST.get("reason", "")),
        _("已解除：%(a)s。") % {"a": action},
        "supervision:action_list",
    )


# --- Incidents --------------------------------------------------------------------------------


@requires(Perm.SUPERVISION_VIEW)
def incident_list(request):
    return listing(
        request,
        Incident.objects.select_related("opened_by"),
        IncidentFilter,
        "supervision/incident_list.html",
        columns=INCIDENT_COLUMNS,
        title=_("安全事件"),
        context={"severities": Severity.choices},
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def incident_open(request):
    alert = Alert.objects.filter(pk=request.POST.get("alert") or 0).first()
    try:
        incident = incidents.open_incident(
            by=request.user,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            severity=request.POST.get("severity", alert.severity if alert else ""),
            alerts=[alert] if alert else [],
        )
    except RuleViolation as error:
        messages.error(request, str(error))
        if alert is not None:
            return redirect("supervision:alert_detail", alert.pk)
        return redirect("supervision:incident_list")
    return redirect("supervision:incident_detail", incident.pk)


@requires(Perm.SUPERVISION_VIEW)
def incident_detail(request, pk: int):
    incident = get_object_or_404(Incident.objects.select_related("opened_by", "closed_by"), pk=pk)
    open_alerts = Alert.objects.filter(status__in=OPEN_STATUSES).exclude(incidents=incident)
    return render(
        request,
        "supervision/incident_detail.html",
        {
            "incident": incident,
            "alerts": incident.alerts.select_related("rule"),
            "actions": incident.actions.select_related("taken_by", "lifted_by"),
            "open_alerts": open_alerts[:50],
            "kinds": EmergencyAction.Kind.choices,
        },
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def incident_link(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    alert = get_object_or_404(Alert, pk=request.POST.get("alert") or 0)
    return perform(
        request,
        lambda: incidents.link_alert(incident, alert, by=request.user),
        None,
        ("supervision:incident_detail", pk),
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def incident_close(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    return perform(
        request,
        lambda: incidents.close_incident(
            incident, by=request.user, report=request.POST.get("report", "")
        ),
        _("事件已结案，结案报告已上链。"),
        ("supervision:incident_detail", pk),
    )


@requires(Perm.SUPERVISION_VIEW)
def incident_export(request, pk: int, fmt: str):
    incident = get_object_or_404(Incident, pk=pk)
    if fmt == "docx":
        data = incidents.render_docx(incident)
        kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif fmt == "pdf":
        data, kind = incidents.render_pdf(incident), "application/pdf"
    else:
        raise Http404
    response = HttpResponse(data, content_type=kind)
    attach(response, f"安全事件报告-{incident.code}.{fmt}", fallback=f"{incident.code}.{fmt}")
    return response


# --- Spot checks --------------------------------------------------------------------------------


@requires(Perm.SUPERVISION_VIEW)
def spotcheck_list(request):
    rows = (
        SpotCheck.objects.select_related("created_by", "product")
        .annotate(drawn=Count("items"))
        .order_by("-created_at")  # Meta.ordering does not apply to a grouped query
    )
    return listing(
        request,
        rows,
        SpotCheckFilter,
        "supervision/spotcheck_list.html",
        columns=SPOTCHECK_COLUMNS,
        title=_("样本抽查"),
        context={"form": SpotCheckForm()},
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def spotcheck_draw(request):
    form = SpotCheckForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}:{' '.join(errors)}" if label else " ".join(errors))
        return redirect("supervision:spotcheck_list")
    return perform(
        request,
        lambda: spotchecks.draw_check(by=request.user, **form.cleaned_data),
        lambda check: (
            _("已抽取 %(n)s 条样本，抽样已上链。") % {"n": sum(s["drawn"] for s in check.strata)}
        ),
        lambda check: f"{reverse('supervision:spotcheck_detail', args=[check.pk])}?verify=1",
        back="supervision:spotcheck_list",
    )


@requires(Perm.SUPERVISION_VIEW)
def spotcheck_detail(request, pk: int):
    check = get_object_or_404(
        SpotCheck.objects.select_related("created_by", "completed_by", "product"), pk=pk
    )
    items = check.items.select_related(
        "delivery__product", "delivery__consumer", "reviewed_by", "incident"
    )
    return render(
        request,
        "supervision/spotcheck_detail.html",
        {
            "check": check,
            "items": items,
            "checks": spotchecks.CHECKS,
            "tally": spotchecks.tally(check),
            # Redrawing reads the whole period again: on request (and right after the draw).
            "reproducible": spotchecks.redraw(check) if request.GET.get("verify") else None,
            "conclusions": [c for c in SpotCheckItem.Conclusion.choices if c[0] != "pending"],
        },
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def spotcheck_conclude(request, pk: int):
    item = get_object_or_404(SpotCheckItem, pk=pk)
    return perform(
        request,
        lambda: spotchecks.conclude(
            item,
            by=request.user,
            conclusion=request.POST.get("conclusion", ""),
            note=request.POST.get("note", "")[:2000],
        ),
        None,
        f"{reverse('supervision:spotcheck_detail', args=[item.spot_check_id])}#i{pk}",
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def spotcheck_incident(request, pk: int):
    item = get_object_or_404(SpotCheckItem, pk=pk)
    return perform(
        request,
        lambda: spotchecks.open_incident(item, by=request.user),
        None,
        lambda opened: ("supervision:incident_detail", opened.incident_id),
        back=("supervision:spotcheck_detail", item.spot_check_id),
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def spotcheck_complete(request, pk: int):
    check = get_object_or_404(SpotCheck, pk=pk)
    return perform(
        request,
        lambda: spotchecks.complete(
            check, by=request.user, conclusion=request.POST.get("conclusion", "")
        ),
        _("抽查已完成，结果已备案并上链。"),
        ("supervision:spotcheck_detail", pk),
    )


# --- Filings register -------------------------------------------------------------------------

FILINGS_EXPORT = actions.define("filings.export", gettext_lazy("导出合规审查备案登记"))


def _filings(request) -> tuple[list, dict]:
    kind = request.GET.get("kind", "")
    kind = kind if kind in filings.KINDS else ""
    year = whole_number(request.GET.get("year"), low=2000, high=2100)
    q = request.GET.get("q", "").strip()[:100]
    return filings.register(kind=kind, year=year, q=q), {"kind": kind, "year": year, "q": q}


@requires(Perm.SUPERVISION_VIEW)
def filing_list(request):
    rows, chosen = _filings(request)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/filing_list.html",
        {
            "page": page,
            "chosen": chosen,
            "kinds": filings.KINDS.items(),
            "query": request.GET.urlencode(),
            "total": len(rows),
        },
    )


@requires(Perm.SUPERVISION_VIEW)
def filing_export(request):
    rows, chosen = _filings(request)
    record(
        FILINGS_EXPORT,
        by=request.user,
        changes={k: v for k, v in chosen.items() if v} | {"rows": len(rows)},
        summary=_("导出合规审查备案登记 %(n)s 条") % {"n": len(rows)},
    )
    response = HttpResponse(
        filings.to_xlsx(rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    attach(response, f"备案登记-{stamp}.xlsx", fallback=f"pdao-filings-{stamp}.xlsx")
    return response


@requires(Perm.SUPERVISION_VIEW)
def dashboard(request):
    return render(request, "supervision/dashboard.html", dashboards.figures())
