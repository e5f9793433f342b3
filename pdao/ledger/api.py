import base64

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from pdao.core.access import api_requires, public
from pdao.core.apierrors import ApiError
from pdao.core.permissions import Perm
from pdao.ledger import entry, services
from pdao.ledger.merkle import ProofError
from pdao.ledger.models import Checkpoint, LedgerEntry

router = Router(tags=["ledger"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _no_proof(error: ProofError) -> ApiError:
    return ApiError(400, "no_such_proof", "请求的证明不存在（序号或树大小超出范围）", str(error))


class EntryOut(Schema):
    index: int
    entry: str
    fields: dict
    leaf_hash: str


class InclusionOut(Schema):
    index: int
    tree_size: int
    proof: list[str]


class ConsistencyOut(Schema):
    old_size: int
    new_size: int
    proof: list[str]


@router.get(
    "/checkpoint",
    auth=None,
    summary="Latest cosigned checkpoint (C2SP signed note, text/plain)",
    response={200: str},
)
@public()
def latest_checkpoint(request):
    checkpoint = Checkpoint.objects.first()
    if checkpoint is None:
        raise ApiError(404, "no_checkpoint", "账本尚未发布检查点", "no checkpoint published yet")
    return HttpResponse(checkpoint.note, content_type="text/plain; charset=utf-8")


@router.get("/entries/{index}", response=EntryOut, summary="One entry in canonical form")
@api_requires(Perm.LEDGER_VIEW)
def get_entry(request, index: int):
    row = get_object_or_404(LedgerEntry, position=index)
    data = bytes(row.entry)
    return {
        "index": index,
        "entry": _b64(data),
        "fields": entry.parse(data),
        "leaf_hash": _b64(bytes(row.leaf_hash)),
    }


@router.get("/entries/{index}/receipt", summary="Receipt: entry, proof, cosigned checkpoint")
@api_requires(Perm.LEDGER_VIEW)
def get_receipt(request, index: int):
    return services.receipt_for(get_object_or_404(LedgerEntry, position=index))


@router.get("/proofs/inclusion", response=InclusionOut, summary="Inclusion proof (RFC 9162)")
@api_requires(Perm.LEDGER_VIEW)
def inclusion(request, index: int, tree_size: int):
    try:
        proof = services.tree().inclusion_proof(index, tree_size)
    except ProofError as error:
        raise _no_proof(error) from error
    return {"index": index, "tree_size": tree_size, "proof": [_b64(p) for p in proof]}


@router.get(
    "/proofs/consistency",
    auth=None,
    response=ConsistencyOut,
    summary="Consistency proof between two sizes (RFC 9162), for witnesses",
)
@public()
def consistency(request, old_size: int, new_size: int):
    try:
        proof = services.tree().consistency_proof(old_size, new_size)
    except ProofError as error:
        raise _no_proof(error) from error
    return {"old_size": old_size, "new_size": new_size, "proof": [_b64(p) for p in proof]}
