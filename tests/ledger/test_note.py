"""Signed notes, checkpoints and cosignatures, checked against Go's reference implementation.

The PeterNeumann key, text and signature are the documented example of
golang.org/x/mod/sumdb/note (the package Go's checksum database and the transparency-dev
witnesses use). Ed25519 is deterministic, so signing the same text with the same seed must
reproduce the note byte for byte.
"""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pdao.ledger import note
from pdao.ledger.merkle import consistency_proof, root_hash
from pdao.ledger.note import (
    COSIGNATURE_V1,
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    WitnessRefusal,
)

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = GO_TEXT + (
    "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngo"
    "tpRZb6KE6RyyBwJnAM=\n"
)


def _go_signer() -> Signer:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[-1])[1:]
    return Signer("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))


def test_go_reference_note_verifies():
    verifier = Verifier.from_vkey(GO_VKEY)
    assert "PeterNeumann" in note.verified_by(GO_NOTE, [verifier])


def test_signing_reproduces_the_go_reference_note_byte_for_byte():
    signer = _go_signer()
    assert signer.verifier.vkey == GO_VKEY
    assert note.sign(GO_TEXT, signer) == GO_NOTE


def test_one_changed_character_fails_verification():
    verifier = Verifier.from_vkey(GO_VKEY)
    tampered = GO_NOTE.replace("problem,", "problem;")
    with pytest.raises(NoteError, match="does not verify"):
        note.verified_by(tampered, [verifier])


def test_unknown_keys_are_ignored():
    stranger = Signer("PeterNeumann", Ed25519PrivateKey.generate()).verifier
    assert note.verified_by(GO_NOTE, [stranger]) == {}


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+c74f20a3+AxRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # wrong type
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space
        "PeterNeumann+c74f20a3",
        "not a key",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey):
    with pytest.raises(NoteError):
        Verifier.from_vkey(vkey)


def test_checkpoint_body_round_trips_in_c2sp_form():
    checkpoint = Checkpoint("ledger.pdao.liuzhou", 20852163, bytes(range(32)), ("ext line",))
    body = checkpoint.body()
    assert body == (
        "ledger.pdao.liuzhou\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\next line\n"
    )
    assert Checkpoint.parse(body) == checkpoint


@pytest.mark.parametrize(
    "body",
    [
        "origin\n012\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # leading zero
        "origin\n12\nAAEC\n",  # short root
        "origin\n12\n",  # missing line
        "origin\nx\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    ],
)
def test_malformed_checkpoints_are_refused(body):
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def _log_and_witness():
    log = Signer("ledger.pdao.liuzhou", Ed25519PrivateKey.generate())
    witness = Signer("witness.xxzx.liuzhou", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    return log, witness


def _signed(log, entries):
    return note.sign(Checkpoint(log.name, len(entries), root_hash(entries)).body(), log)


def test_cosignature_message_follows_tlog_cosignature():
    _, witness = _log_and_witness()
    body = Checkpoint("o", 1, bytes(32)).body()
    line = witness.signature_line(body, timestamp=1679315147)
    raw = base64.b64decode(line.split(" ")[-1])
    assert raw[:4] == witness.verifier.key_id
    assert int.from_bytes(raw[4:12], "big") == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + body.encode()
    witness.private_key.public_key().verify(raw[12:], message)


def test_witness_cosigns_a_consistent_checkpoint():
    log, witness = _log_and_witness()
    entries = [bytes([i]) for i in range(10)]
    old_root = root_hash(entries[:6])
    signed = _signed(log, entries)
    checkpoint, line = note.witness_cosign(
        signed,
        log=log.verifier,
        witness=witness,
        last_size=6,
        last_root=old_root,
        proof=consistency_proof(entries, 6),
        now=1_800_000_000,
    )
    assert checkpoint.size == 10
    cosigned = note.add_signature(signed, line)
    good = note.verified_by(cosigned, [log.verifier, witness.verifier])
    assert set(good) == {log.name, witness.name}
    assert good[witness.name].timestamp == 1_800_000_000


def test_witness_refuses_a_rewritten_history():
    log, witness = _log_and_witness()
    entries = [bytes([i]) for i in range(10)]
    forked = [*entries[:5], b"rewritten", *entries[6:]]
    signed = _signed(log, forked)
    with pytest.raises(WitnessRefusal, match="not consistent"):
        note.witness_cosign(
            signed,
            log=log.verifier,
            witness=witness,
            last_size=6,
            last_root=root_hash(entries[:6]),
            proof=consistency_proof(forked, 6),
            now=1_800_000_000,
        )


def test_witness_refuses_a_shrunk_log_and_a_forged_log_signature():
    log, witness = _log_and_witness()
    entries = [bytes([i]) for i in range(10)]
    with pytest.raises(WitnessRefusal, match="shrank"):
        note.witness_cosign(
            _signed(log, entries[:4]),
            log=log.verifier,
            witness=witness,
            last_size=6,
            last_root=root_hash(entries[:6]),
            proof=[],
            now=1,
        )
    impostor = Signer(log.name, Ed25519PrivateKey.generate())
    with pytest.raises(NoteError, match="not signed by the log key"):
        note.witness_cosign(
            _signed(impostor, entries),
            log=log.verifier,
            witness=witness,
            last_size=0,
            last_root=None,
            proof=[],
            now=1,
        )


def test_verifier_key_whose_base64_contains_a_plus_parses():
    # From transparency-dev/formats note tests: its key material's base64 contains '+'.
    verifier = Verifier.from_vkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
    assert verifier.name == "TEST"
    assert verifier.vkey == "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
