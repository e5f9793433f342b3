"""监测预警 pages: alerts with their evidence and workflow, and the rules' settings."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from pdao.accounts.services import RuleViolation
from pdao.core.access import requires
from pdao.core.permissions import Perm
from pdao.supervision import emergency, incidents, services
from pdao.supervision.choices import OPEN_STATUSES, AlertStatus, Severity
from pdao.supervision.models import Alert, EmergencyAction, Incident, MonitoringRule

POST = ("POST",)


@requires(Perm.SUPERVISION_VIEW)
def alert_list(request):
    alerts = Alert.objects.select_related("rule")
    status = request.GET.get("status", "open")
    if status == "open":
        alerts = alerts.filter(status__in=OPEN_STATUSES)
    elif status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    if request.GET.get("severity") in Severity.values:
        alerts = alerts.filter(severity=request.GET["severity"])
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/alert_list.html",
        {
            "page": page,
            "status": status,
            "statuses": AlertStatus.choices,
            "severities": Severity.choices,
        },
    )


@requires(Perm.SUPERVISION_VIEW)
def alert_detail(request, pk: int):
    from datetime import datetime

    from django.utils import timezone

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
    try:
        services.handle_alert(
            alert, by=request.user, status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )  # fmt: skip
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已更新告警状态。"))
    return redirect("supervision:alert_detail", pk)


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
        services.update_rule(
            rule,
            by=request.user,
            enabled=request.POST.get("enabled") == "on",
            severity=request.POST.get("severity", ""),
            threshold=float(request.POST.get("threshold", "")),
            window_minutes=int(request.POST.get("window_minutes", "")),
        )
    except ValueError:
        messages.error(request, _("阈值和时间窗口应为数字。"))
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已保存规则「%(name)s」。") % {"name": rule.name})
    return redirect("supervision:rule_list")


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def rules_run(request):
    raised = services.run_rules()
    messages.success(request, _("已运行全部规则,新告警 %(n)s 条。") % {"n": len(raised)})
    return redirect("supervision:alert_list")


# --- Emergency response -----------------------------------------------------------------------


@requires(Perm.SUPERVISION_VIEW)
def action_list(request):
    rows = EmergencyAction.objects.select_related("taken_by", "lifted_by", "alert")
    if request.GET.get("in_force") == "yes":
        rows = rows.filter(lifted_at__isnull=True)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/action_list.html",
        {"page": page, "kinds": EmergencyAction.Kind.choices},
    )


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def action_take(request):
    alert = Alert.objects.filter(pk=request.POST.get("alert") or 0).first()
    incident = Incident.objects.filter(pk=request.POST.get("incident") or 0).first()
    try:
        action = emergency.take(
            request.POST.get("kind", ""),
            request.POST.get("target", "")[:100],
            by=request.user,
            reason=request.POST.get("reason", ""),
            alert=alert,
            incident=incident,
        )
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已生效:%(a)s。下一次请求起即被拒绝。") % {"a": action})
    if incident is not None:
        return redirect("supervision:incident_detail", incident.pk)
    if alert is not None:
        return redirect("supervision:alert_detail", alert.pk)
    return redirect("supervision:action_list")


@requires(Perm.AUTHZ_DECIDE, methods=POST)
def action_lift(request, pk: int):
    action = get_object_or_404(EmergencyAction, pk=pk)
    try:
        emergency.lift(action, by=request.user, reason=request.POST.get("reason", ""))
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已解除:%(a)s。") % {"a": action})
    return redirect("supervision:action_list")


# --- Incidents --------------------------------------------------------------------------------


@requires(Perm.SUPERVISION_VIEW)
def incident_list(request):
    rows = Incident.objects.select_related("opened_by")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request, "supervision/incident_list.html", {"page": page, "severities": Severity.choices}
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
    try:
        incidents.link_alert(incident, alert, by=request.user)
    except RuleViolation as error:
        messages.error(request, str(error))
    return redirect("supervision:incident_detail", pk)


@requires(Perm.SUPERVISION_MANAGE, methods=POST)
def incident_close(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    try:
        incidents.close_incident(incident, by=request.user, report=request.POST.get("report", ""))
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("事件已结案,结案报告已上链。"))
    return redirect("supervision:incident_detail", pk)


@requires(Perm.SUPERVISION_VIEW)
def incident_export(request, pk: int, fmt: str):
    from django.http import Http404, HttpResponse

    incident = get_object_or_404(Incident, pk=pk)
    if fmt == "docx":
        data = incidents.render_docx(incident)
        kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif fmt == "pdf":
        data, kind = incidents.render_pdf(incident), "application/pdf"
    else:
        raise Http404
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{incident.code}.{fmt}"'
    return response
