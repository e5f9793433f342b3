"""The pure library and pdao-verify work without Django, as a government auditor would run them."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from pdao.ledger import services
from pdao.ledger.models import LedgerEntry

ROOT = Path(__file__).resolve().parents[2]
PURE = ["pdao.ledger.merkle", "pdao.ledger.note", "pdao.ledger.entry", "pdao.ledger.receipt",
        "pdao.ledger.verify_cli"]  # fmt: skip


def test_pure_modules_import_no_django():
    code = (
        "import importlib, sys\n"
        f"for m in {PURE!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.fixture
def anchored_file(tmp_path, django_capture_on_commit_callbacks):
    document = tmp_path / "agreement.pdf"
    document.write_bytes(b"%PDF-1.7 synthetic agreement for the test")
    digest = hashlib.sha256(document.read_bytes()).hexdigest()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = services.anchor(
            "agreement.sign", subject={"agreement": "A-1"}, content_hash=digest, by=None
        )
    receipt_path = tmp_path / "receipt.json"
    receipt_path.write_text(json.dumps(services.receipt_for(LedgerEntry.objects.get(pk=row.pk))))
    return document, receipt_path


def _verify(*args):
    log = services.log_key().vkey
    witnesses = [w.vkey for w in services.witness_keys()]
    argv = ["-m", "pdao.ledger.verify_cli", *args, "--key", log]
    for w in witnesses:
        argv += ["--witness", w]
    return subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.django_db
def test_pdao_verify_accepts_a_receipt_and_its_file(anchored_file):
    document, receipt_path = anchored_file
    result = _verify(str(receipt_path), "--file", str(document))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "验证通过 / VALID" in result.stdout
    assert "agreement.sign" in result.stdout


@pytest.mark.django_db
def test_pdao_verify_rejects_a_different_file(anchored_file, tmp_path):
    _document, receipt_path = anchored_file
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.7 a changed agreement")
    result = _verify(str(receipt_path), "--file", str(other))
    assert result.returncode == 1
    assert "anchors different content" in result.stdout


@pytest.mark.django_db
def test_pdao_verify_rejects_a_tampered_receipt(anchored_file):
    _document, receipt_path = anchored_file
    data = json.loads(receipt_path.read_text())
    data["index"] += 1
    receipt_path.write_text(json.dumps(data))
    result = _verify(str(receipt_path))
    assert result.returncode == 1
    assert "INVALID" in result.stdout


@pytest.mark.django_db
def test_pdao_verify_requires_the_witnesses_it_is_given(anchored_file):
    _document, receipt_path = anchored_file
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pdao.ledger.note import COSIGNATURE_V1, Signer

    stranger = Signer("witness.elsewhere", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    result = _verify(str(receipt_path), "--witness", stranger.verifier.vkey)
    assert result.returncode == 1
    assert "2 of the required 3 witnesses" in result.stdout


def test_pdao_verify_bad_key_is_a_usage_error(tmp_path):
    receipt_path = tmp_path / "r.json"
    receipt_path.write_text("{}")
    result = subprocess.run(
        [sys.executable, "-m", "pdao.ledger.verify_cli", str(receipt_path), "--key", "nonsense"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "bad argument" in result.stderr


@pytest.mark.django_db
def test_ledger_verify_command_passes_then_names_the_divergence(anchored_file, capsys):
    call_command("ledger_verify")
    assert "no divergence" in capsys.readouterr().out
    row = LedgerEntry.objects.get(position=0)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LedgerEntry._meta.db_table} SET entry = %s WHERE id = %s",
            [bytes(row.entry).replace(b"A-1", b"A-2"), row.pk],
        )
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="第 0 号记录"):
        call_command("ledger_verify")
