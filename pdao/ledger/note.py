"""Signed checkpoints in the C2SP formats, so existing transparency-log tools can read them.

* c2sp.org/tlog-checkpoint — the body: origin line, tree size in decimal, base64 root hash,
  then optional extension lines, each ending in a newline.
* c2sp.org/signed-note — body, a blank line, then signature lines
  ``— <key name> base64(4-byte key ID ‖ signature)``; Ed25519 signatures (type 0x01) over the
  body; key ID = SHA-256(name ‖ "\\n" ‖ type ‖ public key)[:4]. Verifier keys are written as
  vkeys ``<name>+<hex key ID>+base64(type ‖ public key)``.
* c2sp.org/tlog-cosignature — a witness's timestamped Ed25519 cosignature (type 0x04): the
  signature bytes are an 8-byte big-endian timestamp ‖ Ed25519 signature over
  ``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint body.

Pure Python over `cryptography`; no Django.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pdao.ledger.merkle import HASH_SIZE, verify_consistency

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
_DASH = "\u2014 "
MAX_SIGNATURES = 16


class NoteError(ValueError):
    """A note, checkpoint or key that is malformed or does not verify."""


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


@dataclass(frozen=True)
class Verifier:
    """A public key that can check one kind of signature line."""

    name: str
    sig_type: int
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, _raw(self.public_key))

    @property
    def vkey(self) -> str:
        material = base64.b64encode(bytes([self.sig_type]) + _raw(self.public_key)).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        try:
            name, hex_id, material = vkey.strip().split("+", 2)
            raw = base64.b64decode(material, validate=True)
        except (ValueError, binascii.Error) as error:
            raise NoteError("malformed verifier key (want name+keyid+base64)") from error
        _check_name(name)
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise NoteError("verifier key is not an Ed25519 key of type 0x01 or 0x04")
        verifier = cls(name, raw[0], Ed25519PublicKey.from_public_bytes(raw[1:]))
        if verifier.key_id.hex() != hex_id.lower():
            raise NoteError("verifier key ID does not match its key")
        return verifier


@dataclass(frozen=True)
class Signer:
    """A private key that signs notes (type 0x01) or cosigns checkpoints (type 0x04)."""

    name: str
    private_key: Ed25519PrivateKey
    sig_type: int = ED25519

    def __post_init__(self):
        _check_name(self.name)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.sig_type, self.private_key.public_key())

    def signature_line(self, body: str, *, timestamp: int | None = None) -> str:
        if self.sig_type == ED25519:
            signature = self.private_key.sign(body.encode())
        else:
            if timestamp is None or not 0 <= timestamp < 2**63:
                raise NoteError("a cosignature needs a timestamp")
            message = _cosigned_message(body, timestamp)
            signature = timestamp.to_bytes(8, "big") + self.private_key.sign(message)
        blob = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{_DASH}{self.name} {blob}\n"


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()


@dataclass(frozen=True)
class Checkpoint:
    """The signed tree head: which log, how many entries, and their Merkle root."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = field(default=())

    def body(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint body has at least three newline-terminated lines")
        origin, size_text, root_text = lines[:3]
        if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
            raise NoteError("tree size must be a decimal without leading zeros")
        try:
            root = base64.b64decode(root_text, validate=True)
        except binascii.Error as error:
            raise NoteError("root hash is not base64") from error
        if len(root) != HASH_SIZE or not origin:
            raise NoteError("checkpoint needs an origin and a 32-byte root hash")
        return cls(origin, int(size_text), root, tuple(lines[3:-1]))


@dataclass(frozen=True)
class SignatureLine:
    name: str
    key_id: bytes
    signature: bytes

    @property
    def timestamp(self) -> int:
        return int.from_bytes(self.signature[:8], "big")


def sign(body: str, signer: Signer) -> str:
    """A signed note: `body`, a blank line, and `signer`'s signature line."""
    if not body.endswith("\n"):
        raise NoteError("note text must end with a newline")
    return body + "\n" + signer.signature_line(body)


def split(note: str) -> tuple[str, list[SignatureLine]]:
    """(body, signature lines) of a signed note; the body keeps its final newline."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("note contains control characters")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("note has no signature block")
    body, block = note[: cut + 1], note[cut + 2 :]
    lines = []
    for line in block.splitlines():
        if not line.startswith(_DASH):
            raise NoteError("malformed signature line")
        name, _, blob = line[len(_DASH) :].rpartition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error as error:
            raise NoteError("signature is not base64") from error
        if len(raw) < 5:
            raise NoteError("signature too short")
        lines.append(SignatureLine(name, raw[:4], raw[4:]))
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError("a note carries 1 to 16 signatures")
    return body, lines


def add_signature(note: str, line: str) -> str:
    """Append a (co)signature line to a signed note."""
    split(note)
    return note + line


def _check(verifier: Verifier, body: str, line: SignatureLine) -> bool:
    try:
        if verifier.sig_type == ED25519:
            verifier.public_key.verify(line.signature, body.encode())
        else:
            if len(line.signature) != 72:
                return False
            message = _cosigned_message(body, line.timestamp)
            verifier.public_key.verify(line.signature[8:], message)
    except InvalidSignature:
        return False
    return True


def verified_by(note: str, verifiers: list[Verifier]) -> dict[str, SignatureLine]:
    """Which of `verifiers` signed `note`, by name. A known key whose signature fails makes
    the whole note invalid (as signed-note requires); unknown keys are ignored."""
    body, lines = split(note)
    good: dict[str, SignatureLine] = {}
    for line in lines:
        for verifier in verifiers:
            if verifier.name == line.name and verifier.key_id == line.key_id:
                if not _check(verifier, body, line):
                    raise NoteError(f"signature by {line.name} does not verify")
                good[verifier.name] = line
    return good


def open_checkpoint(note: str, log: Verifier) -> Checkpoint:
    """The checkpoint in `note`, once the log's own signature on it verifies."""
    if log.name not in verified_by(note, [log]):
        raise NoteError(f"checkpoint is not signed by the log key {log.name}")
    return Checkpoint.parse(split(note)[0])


class WitnessRefusal(NoteError):
    """A witness will not cosign: the checkpoint contradicts what it signed before."""


def witness_cosign(
    note: str,
    *,
    log: Verifier,
    witness: Signer,
    last_size: int,
    last_root: bytes | None,
    proof: list[bytes],
    now: int,
) -> tuple[Checkpoint, str]:
    """What a witness does: check the log's signature, check the new checkpoint extends the
    last one this witness cosigned (a consistency proof from `last_size`), then cosign.

    Returns (checkpoint, cosignature line). Raises WitnessRefusal when the log forked, shrank or
    rewrote history — loudly, since that is the event witnesses exist to catch.
    """
    checkpoint = open_checkpoint(note, log)
    if last_root is not None:
        if checkpoint.size < last_size:
            raise WitnessRefusal(
                f"log shrank from {last_size} to {checkpoint.size}: refusing to cosign"
            )
        if not verify_consistency(
            last_size, checkpoint.size, last_root, checkpoint.root_hash, proof
        ):
            raise WitnessRefusal(
                f"checkpoint of size {checkpoint.size} is not consistent with the size "
                f"{last_size} this witness cosigned: refusing to cosign"
            )
    return checkpoint, witness.signature_line(split(note)[0], timestamp=now)
