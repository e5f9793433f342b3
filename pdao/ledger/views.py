import json

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from pdao.audit import actions
from pdao.core.access import public, requires
from pdao.core.downloads import attach
from pdao.core.labels import object_label
from pdao.core.permissions import Perm
from pdao.ledger import anchors, entry, note, services
from pdao.ledger.models import Checkpoint, LedgerEntry, SigningKey


@requires(Perm.LEDGER_VIEW)
def overview(request):
    latest = Checkpoint.objects.prefetch_related("cosignatures__witness").first()
    rows = LedgerEntry.objects.filter(position__isnull=False).order_by("-position")
    kind = request.GET.get("type", "")
    if kind:
        rows = rows.filter(type=kind)
    page = Paginator(rows.defer("entry"), 50).get_page(request.GET.get("page"))
    for row in page:
        row.type_label = actions.label(row.type)  # ledger types share the audit action codes
        row.object_label = object_label(row.object_type) if row.object_type else ""
    codes = LedgerEntry.objects.values_list("type", flat=True).distinct().order_by("type")
    types = [(code, actions.label(code)) for code in codes]
    return render(
        request,
        "ledger/overview.html",
        {
            "latest": latest,
            "page": page,
            "types": types,
            "kind": kind,
            "query": f"type={kind}" if kind else "",
            "pending": LedgerEntry.objects.filter(position__isnull=True).count(),
        },
    )


@requires(Perm.LEDGER_VIEW)
def entry_detail(request, position: int):
    row = get_object_or_404(LedgerEntry, position=position)
    data = bytes(row.entry)
    covering = Checkpoint.objects.filter(size__gt=position).order_by("-size").first()
    proof = (
        services.tree(covering.size).inclusion_proof(position, covering.size) if covering else []
    )
    return render(
        request,
        "ledger/entry_detail.html",
        {
            "row": row,
            "fields": entry.parse(data),
            "type_label": actions.label(row.type),
            "canonical": data.decode(),
            "leaf_hash": bytes(row.leaf_hash).hex(),
            "checkpoint": covering,
            "proof": [p.hex() for p in proof],
        },
    )


@requires(Perm.LEDGER_VIEW)
def entry_receipt(request, position: int):
    row = get_object_or_404(LedgerEntry, position=position)
    body = json.dumps(services.receipt_for(row), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    attach(response, f"存证回执-{position}.json", fallback=f"pdao-receipt-{position}.json")
    return response


@requires(Perm.LEDGER_VIEW)
def checkpoint_list(request):
    checkpoints = Checkpoint.objects.prefetch_related("cosignatures__witness")
    page = Paginator(checkpoints, 25).get_page(request.GET.get("page"))
    return render(request, "ledger/checkpoint_list.html", {"page": page})


@public()
def public_keys(request):
    """The public keys anyone needs to verify receipts and checkpoints offline."""
    services.log_key()
    services.witness_keys()
    keys = SigningKey.objects.exclude(purpose=SigningKey.Purpose.AGREEMENT).only(
        "name", "purpose", "holder", "vkey", "created_at"
    )
    latest = Checkpoint.objects.first()
    return render(
        request,
        "ledger/keys.html",
        {"keys": keys, "latest": latest, "origin": settings.LEDGER_ORIGIN},
    )


@requires(Perm.LEDGER_MANAGE, methods=("POST",))
def publish(request):
    try:
        checkpoint = services.publish_checkpoint(by=request.user)
    except (note.WitnessRefusal, anchors.AnchorRefusal) as refusal:
        messages.error(request, _("发布失败，见证方或外部锚定拒绝：%(r)s") % {"r": refusal})
    else:
        messages.success(request, _("已发布树大小为 %(s)d 的签名检查点。") % {"s": checkpoint.size})
    return redirect("ledger:overview")


@requires(Perm.LEDGER_MANAGE, methods=("POST",))
def verify(request):
    report = services.verify_ledger()
    if report.ok:
        messages.success(
            request,
            _("账本校验通过：%(n)d 条记录、%(c)d 个检查点全部一致。")
            % {"n": report.size, "c": report.checkpoints},
        )
    else:
        messages.error(request, _("账本校验失败：") + report.problems[0])
    return redirect("ledger:overview")
