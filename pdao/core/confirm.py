"""A confirmation step for actions that cannot be undone (撤销授权, 责令下架, 吊销凭证, 停用,
注销): the first POST shows what will happen and asks again; only a POST carrying
`confirmed=yes` acts. Works without scripts; the form's fields are carried over as they were."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

SKIP = {"csrfmiddlewaretoken", "confirmed"}


def unconfirmed(request, *, title, consequences, back: str) -> HttpResponse | None:
    """None when the action was confirmed; else the page that names its consequences and asks.
    `back`: where 取消 leads."""
    if request.POST.get("confirmed") == "yes":
        return None
    fields = [(name, value) for name, values in request.POST.lists() if name not in SKIP
              for value in values]  # fmt: skip
    return render(
        request,
        "core/confirm.html",
        {
            "title": title,
            "consequences": consequences,
            "fields": fields,
            "action": request.get_full_path(),
            "back": back,
        },
    )
