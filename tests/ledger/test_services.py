import hashlib

import pytest
from django.db import connection, transaction

from pdao.audit.models import AuditEvent
from pdao.ledger import anchors, note, receipt, services
from pdao.ledger.merkle import MemoryNodeStore, Tree, leaf_hash, verify_consistency
from pdao.ledger.models import Checkpoint, LedgerEntry, LedgerNode, SigningKey, node_key

pytestmark = pytest.mark.django_db


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _anchor_many(n, capture, start=0):
    rows = []
    for i in range(start, start + n):
        with capture(execute=True), transaction.atomic():
            rows.append(
                services.anchor(
                    "test.fact", subject={"n": str(i)}, content_hash=_hash(str(i)), by=None
                )
            )
    return rows


def _keys():
    log = note.Verifier.from_vkey(services.log_key().vkey)
    witnesses = [note.Verifier.from_vkey(w.vkey) for w in services.witness_keys()]
    return log, witnesses


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_anchor_commits_with_the_business_change_and_is_sequenced(
    django_capture_on_commit_callbacks,
):
    rows = _anchor_many(3, django_capture_on_commit_callbacks)
    assert [LedgerEntry.objects.get(pk=r.pk).position for r in rows] == [0, 1, 2]
    checkpoint = Checkpoint.objects.get()
    assert checkpoint.size >= 1
    assert checkpoint.cosignatures.count() == 2


def test_one_transaction_of_many_entries_schedules_one_sequencing_run(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for i in range(20):
            services.anchor("test.fact", content_hash=_hash(str(i)), by=None)
        services.anchor_many([services.Fact("test.fact", _hash("x"))], by=None)
    assert len(callbacks) == 1
    assert sorted(LedgerEntry.objects.values_list("position", flat=True)) == list(range(21))


def test_anchor_rolls_back_with_the_business_change(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.anchor("test.fact", content_hash=_hash("x"), by=None)
        raise RuntimeError("business change failed")
    assert not LedgerEntry.objects.exists()


def test_receipt_verifies_offline_with_log_and_witness_keys(django_capture_on_commit_callbacks):
    rows = _anchor_many(5, django_capture_on_commit_callbacks)
    log, witnesses = _keys()
    data = services.receipt_for(LedgerEntry.objects.get(pk=rows[3].pk))
    verified = receipt.verify(data, log_key=log, witness_keys=witnesses)
    assert verified.entry["subject"] == {"n": "3"}
    assert verified.entry["content_hash"] == _hash("3")
    assert len(verified.witnesses) == 2


def test_receipt_with_a_changed_entry_fails(django_capture_on_commit_callbacks):
    rows = _anchor_many(4, django_capture_on_commit_callbacks)
    log, witnesses = _keys()
    data = services.receipt_for(LedgerEntry.objects.get(pk=rows[1].pk))
    import base64

    forged = base64.b64decode(data["entry"]).replace(_hash("1").encode(), _hash("9").encode())
    data["entry"] = base64.b64encode(forged).decode()
    with pytest.raises(receipt.ReceiptError, match="inclusion proof"):
        receipt.verify(data, log_key=log, witness_keys=witnesses)


def test_signing_keys_are_stored_encrypted(django_capture_on_commit_callbacks):
    _anchor_many(1, django_capture_on_commit_callbacks)
    for key in SigningKey.objects.all():
        stored = bytes(key.encrypted_private_key)
        assert b"ENCRYPTED PRIVATE KEY" in stored
        assert b"BEGIN PRIVATE KEY" not in stored


def test_intact_ledger_verifies(django_capture_on_commit_callbacks):
    _anchor_many(6, django_capture_on_commit_callbacks)
    services.publish_checkpoint()
    report = services.verify_ledger()
    assert report.ok, report.problems
    assert report.size == 6


def _table():
    return LedgerEntry._meta.db_table


def test_edited_entry_is_detected_at_its_position(django_capture_on_commit_callbacks):
    _anchor_many(8, django_capture_on_commit_callbacks)
    services.publish_checkpoint()
    row = LedgerEntry.objects.get(position=5)
    forged = bytes(row.entry).replace(_hash("5").encode(), _hash("x").encode())
    _raw(f"UPDATE {_table()} SET entry = %s WHERE id = %s", [forged, row.pk])
    report = services.verify_ledger()
    assert not report.ok
    assert "第 5 号记录" in report.problems[0]


def test_edit_with_recomputed_hashes_is_caught_by_signed_checkpoints(
    django_capture_on_commit_callbacks,
):
    """An attacker who also rewrites the leaf hash and every tree node is caught by the roots
    the log key and witnesses signed."""
    _anchor_many(8, django_capture_on_commit_callbacks)
    services.publish_checkpoint()
    _rewrite_history(2)
    report = services.verify_ledger()
    assert any("检查点 8 的根哈希与重算结果不符" in p for p in report.problems), report.problems
    assert any("外部锚定" in p for p in report.problems), report.problems


def _rewrite_history(position: int) -> None:
    """What an operator with database access would do: change entry `position`, its leaf hash
    and every tree node, so the stored tree is self-consistent again."""
    row = LedgerEntry.objects.get(position=position)
    forged = bytes(row.entry).replace(_hash(str(position)).encode(), _hash("x").encode())
    _raw(
        f"UPDATE {_table()} SET entry = %s, leaf_hash = %s WHERE id = %s",
        [forged, leaf_hash(forged), row.pk],
    )
    _rebuild_nodes()


def _rebuild_nodes():
    rebuilt = Tree(MemoryNodeStore())
    for data in LedgerEntry.objects.order_by("position").values_list("entry", flat=True):
        rebuilt.append(leaf_hash(bytes(data)))
    LedgerNode.objects.all().delete()
    LedgerNode.objects.bulk_create(
        LedgerNode(key=node_key(level, index), hash=h)
        for (level, index), h in rebuilt.store.nodes.items()
    )


def test_deleted_entry_is_detected(django_capture_on_commit_callbacks):
    _anchor_many(6, django_capture_on_commit_callbacks)
    _raw(f"DELETE FROM {_table()} WHERE position = %s", [3])
    report = services.verify_ledger()
    assert "第 3 号记录缺失" in report.problems[0]


def test_reordered_entries_are_detected(django_capture_on_commit_callbacks):
    _anchor_many(6, django_capture_on_commit_callbacks)
    a, b = LedgerEntry.objects.get(position=1), LedgerEntry.objects.get(position=4)
    _raw(f"UPDATE {_table()} SET position = %s WHERE id = %s", [-1, a.pk])
    _raw(f"UPDATE {_table()} SET position = %s WHERE id = %s", [1, b.pk])
    _raw(f"UPDATE {_table()} SET position = %s WHERE id = %s", [4, a.pk])
    report = services.verify_ledger()
    assert not report.ok
    assert "第 1 号记录" in report.problems[0]


def test_inserted_entry_is_detected(django_capture_on_commit_callbacks):
    _anchor_many(6, django_capture_on_commit_callbacks)
    services.publish_checkpoint()
    # Shift positions 3.. up by one and slip a fabricated entry in at 3.
    for row in LedgerEntry.objects.filter(position__gte=3).order_by("-position"):
        _raw(f"UPDATE {_table()} SET position = %s WHERE id = %s", [row.position + 1, row.pk])
    fake = LedgerEntry.objects.get(position=0)
    columns = "entry, leaf_hash, type, object_type, object_id, content_hash, created_at"
    _raw(
        f"INSERT INTO {_table()} (position, sequenced_at, {columns}) "
        f"SELECT 3, sequenced_at, {columns} FROM {_table()} WHERE id = %s",
        [fake.pk],
    )
    report = services.verify_ledger()
    assert not report.ok
    assert "第 3 号记录" in report.problems[0]


def test_client_with_an_older_checkpoint_detects_rewritten_history(
    django_capture_on_commit_callbacks,
):
    _anchor_many(5, django_capture_on_commit_callbacks)
    old = services.publish_checkpoint()
    old_size, old_root = old.size, bytes(old.root_hash)
    # The operator rewrites entry 2 and every hash, then grows the log.
    _rewrite_history(2)
    _anchor_many(3, lambda **kw: django_capture_on_commit_callbacks(execute=False), start=5)
    services.sequence_pending()
    current = services.tree()
    proof = current.consistency_proof(old_size, current.size)
    assert not verify_consistency(old_size, current.size, old_root, current.root(), proof)


def test_witness_refuses_an_inconsistent_checkpoint_loudly(django_capture_on_commit_callbacks):
    _anchor_many(5, django_capture_on_commit_callbacks)
    services.publish_checkpoint()
    _rewrite_history(1)
    _anchor_many(2, lambda **kw: django_capture_on_commit_callbacks(execute=False), start=5)
    count = Checkpoint.objects.count()
    with pytest.raises(note.WitnessRefusal, match="refusing to cosign"):
        services.publish_checkpoint()
    assert Checkpoint.objects.count() == count
    assert AuditEvent.objects.filter(action="ledger.witness_refused").exists()


def test_file_mirror_refuses_a_rewritten_log(tmp_path, django_capture_on_commit_callbacks):
    _anchor_many(4, django_capture_on_commit_callbacks)
    checkpoint = services.publish_checkpoint()
    mirror = anchors.FileMirror(tmp_path / "m.jsonl")
    log = note.Verifier.from_vkey(services.log_key().vkey)
    tree = services.tree(checkpoint.size)
    mirror.publish(
        checkpoint.note, log=log, prove=lambda old: tree.consistency_proof(old, checkpoint.size)
    )
    # A different log of the same origin, signed with the same key, that does not extend it.
    other = note.sign(
        note.Checkpoint(log.name, 6, hashlib.sha256(b"other").digest()).body(),
        services.keys.signer(services.log_key()),
    )
    with pytest.raises(anchors.AnchorRefusal, match="inconsistent"):
        mirror.publish(other, log=log, prove=lambda old: [hashlib.sha256(b"x").digest()])
    assert len(mirror.history()) == 1
