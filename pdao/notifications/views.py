from django.shortcuts import redirect, render
from django.utils import timezone

from pdao.core.access import requires_login


@requires_login()
def inbox(request):
    notes = request.user.notifications.all()[:100]
    return render(request, "notifications/inbox.html", {"notes": notes})


@requires_login(methods=("POST",))
def mark_read(request):
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications:inbox")
