"""Receipts: everything needed to prove, offline, that one entry is in the ledger.

A receipt is a JSON object:

    {"format": "pdao-ledger-receipt/v1",
     "entry": base64 of the entry's canonical bytes,
     "index": the entry's position (0-based),
     "inclusion_proof": [base64 of each 32-byte hash, in RFC 9162 order],
     "checkpoint": the signed checkpoint note, with the witnesses' cosignatures}

Verification needs only the public keys of the log and of the witnesses one trusts.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from pdao.ledger import entry as entries
from pdao.ledger import note
from pdao.ledger.merkle import leaf_hash, verify_inclusion

FORMAT = "pdao-ledger-receipt/v1"


class ReceiptError(ValueError):
    """The receipt does not prove what it claims; the message says which check failed."""


@dataclass(frozen=True)
class Verified:
    entry: dict
    index: int
    checkpoint: note.Checkpoint
    witnesses: tuple[str, ...]


def build(*, entry: bytes, index: int, proof: list[bytes], checkpoint_note: str) -> dict:
    return {
        "format": FORMAT,
        "entry": base64.b64encode(entry).decode(),
        "index": index,
        "inclusion_proof": [base64.b64encode(p).decode() for p in proof],
        "checkpoint": checkpoint_note,
    }


def verify(
    receipt: dict,
    *,
    log_key: note.Verifier,
    witness_keys: list[note.Verifier] = (),
    required_witnesses: int | None = None,
) -> Verified:
    """Check a receipt; returns what it proves or raises ReceiptError.

    Args:
        log_key: the ledger's public key (type 0x01).
        witness_keys: witnesses' public keys (type 0x04).
        required_witnesses: how many of them must have cosigned (default: all given).
    """
    if not isinstance(receipt, dict) or receipt.get("format") != FORMAT:
        raise ReceiptError(f"not a {FORMAT} receipt")
    try:
        data = base64.b64decode(receipt["entry"], validate=True)
        proof = [base64.b64decode(p, validate=True) for p in receipt["inclusion_proof"]]
        index = receipt["index"]
        signed = receipt["checkpoint"]
    except (KeyError, TypeError, binascii.Error) as error:
        raise ReceiptError("receipt is missing a field or has a malformed one") from error
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(signed, str):
        raise ReceiptError("receipt index or checkpoint has the wrong type")
    try:
        fields = entries.parse(data)
        checkpoint = note.open_checkpoint(signed, log_key)
        cosigned = note.verified_by(signed, list(witness_keys))
    except (entries.EntryError, note.NoteError) as error:
        raise ReceiptError(str(error)) from error
    needed = len(witness_keys) if required_witnesses is None else required_witnesses
    witnesses = tuple(sorted(name for name in cosigned if name != log_key.name))
    if len(witnesses) < needed:
        raise ReceiptError(
            f"checkpoint cosigned by {len(witnesses)} of the required {needed} witnesses"
        )
    if not verify_inclusion(leaf_hash(data), index, checkpoint.size, proof, checkpoint.root_hash):
        raise ReceiptError("inclusion proof does not lead to the checkpoint's root")
    return Verified(fields, index, checkpoint, witnesses)
