from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.views.i18n import set_language as django_set_language

from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation
from pdao.core import submissions, worker
from pdao.core.access import public, rate_limited, requires_login
from pdao.core.permissions import Role
from pdao.core.workbench import INTROS, work_for

set_language = public(methods=("POST",))(django_set_language)


@public()
def home(request):
    """The public portal: what the programme is, who takes part; no data, only public facts."""
    counts = dict(
        Organisation.objects.filter(is_active=True, verified_at__isnull=False)
        .values_list("type")
        .annotate(n=Count("id"))
        .values_list("type", "n")
    )
    participants = [
        (label, counts.get(value, 0))
        for value, label in OrganisationType.choices
        if value
        in (OrganisationType.PROVIDER, OrganisationType.OPERATOR, OrganisationType.CONSUMER)
    ]
    return render(request, "core/home.html", {"participants": participants})


@requires_login()
def workbench(request):
    user = request.user
    sections = [
        {"role": role, "items": work_for(user, role), "intro": INTROS.get(role)}
        for role in Role
        if role in user.roles
    ]
    return render(request, "core/workbench.html", {"sections": sections})


@public(methods=("GET", "HEAD", "POST"))
@rate_limited("30/h")
def track(request):
    """办理进度查询: a public submission by its tracking number and the contact given with it,
    sent by POST (never in a URL, an access log or a browser's history); rate-limited per
    address — the number is random, and both must match."""
    number = request.POST.get("no", "").strip().upper()[:20]
    contact = request.POST.get("contact", "").strip()[:100]
    asked = bool(number and contact)
    found = submissions.lookup(number, contact) if asked else None
    return render(
        request,
        "core/track.html",
        {"number": number, "contact": contact, "asked": asked, "found": found},
    )


@public()
def healthz(request):
    """Liveness and database reachability for the load balancer, and whether the task worker
    is running (uploads, monitoring and the ledger wait on it); no details to outsiders."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    found = worker.status()
    state = "none" if found is None else found.state
    return JsonResponse(
        {
            "status": "degraded" if found is not None and found.offline else "ok",
            "worker": state,
            "demo": settings.DEMO,
        }
    )
