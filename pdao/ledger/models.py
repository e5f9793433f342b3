"""Records of the ledger (区块链存证). Only pdao.ledger.services writes them.

The pure modules beside this one (merkle, note, entry, receipt) hold the cryptography; these
models hold the log: entries in sequence, the stored subtree hashes, signed checkpoints, the
witnesses' cosignatures and the keys.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# A node (level, index) is stored under one integer key, so a proof's nodes are one IN query.
NODE_INDEX_BITS = 48


def node_key(level: int, index: int) -> int:
    return (level << NODE_INDEX_BITS) | index


class LedgerEntry(models.Model):
    """上链记录 — one anchored fact, in canonical bytes, at one position of the log.

    Written with `position` empty in the transaction of the business change (an outbox); the
    sequencer gives it its position. Never changed afterwards.
    """

    position = models.BigIntegerField(_("序号"), null=True, blank=True, unique=True)
    entry = models.BinaryField(_("规范化内容"))
    leaf_hash = models.BinaryField(_("叶哈希"), max_length=32)
    type = models.CharField(_("类型"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    content_hash = models.CharField(_("内容哈希"), max_length=64)
    created_at = models.DateTimeField(_("写入时间"), auto_now_add=True)
    sequenced_at = models.DateTimeField(_("定序时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("上链记录")
        verbose_name_plural = _("上链记录")
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["id"], condition=Q(position__isnull=True), name="ledger_pending"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(position__isnull=True, sequenced_at__isnull=True)
                | Q(position__isnull=False, sequenced_at__isnull=False),
                name="%(app_label)s_%(class)s_sequenced_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.type}"


class LedgerNode(models.Model):
    """The hash of one complete subtree (level 0: a leaf). Written once."""

    key = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = _("树节点")
        verbose_name_plural = _("树节点")

    def __str__(self) -> str:
        return f"node {self.key >> NODE_INDEX_BITS}/{self.key & ((1 << NODE_INDEX_BITS) - 1)}"


class LedgerState(models.Model):
    """The one row the sequencer locks: how many entries the log holds."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="ledger_state_single")]

    def __str__(self) -> str:
        return f"ledger of {self.size}"


class SigningKey(models.Model):
    """签名密钥 — an Ed25519 key of the log or of a witness, private part encrypted at rest."""

    class Purpose(models.TextChoices):
        LOG = "log", _("账本签名")
        WITNESS = "witness", _("见证方联署")
        AGREEMENT = "agreement", _("协议签署")

    name = models.CharField(_("密钥名称"), max_length=200, unique=True)
    purpose = models.CharField(_("用途"), max_length=20, choices=Purpose.choices)
    holder = models.CharField(_("持有单位"), max_length=200)
    vkey = models.CharField(_("公钥（vkey）"), max_length=300, unique=True)
    encrypted_private_key = models.BinaryField(_("加密私钥"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        ordering = ["purpose", "name"]

    def __str__(self) -> str:
        return self.name


class Checkpoint(models.Model):
    """签名检查点 — a signed tree head with the witnesses' cosignatures (a C2SP signed note)."""

    size = models.BigIntegerField(_("树大小"), unique=True)
    root_hash = models.BinaryField(_("根哈希"), max_length=32)
    note = models.TextField(_("签名文本"))
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("签名检查点")
        verbose_name_plural = _("签名检查点")
        ordering = ["-size"]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class Cosignature(models.Model):
    """见证方联署 — a witness's statement that this checkpoint extends the last it signed."""

    witness = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="cosignatures")
    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="cosignatures"
    )
    size = models.BigIntegerField(_("树大小"))
    root_hash = models.BinaryField(_("根哈希"), max_length=32)
    signature_line = models.TextField(_("联署行"))
    signed_at = models.DateTimeField(_("联署时间"))

    class Meta:
        verbose_name = _("见证方联署")
        verbose_name_plural = _("见证方联署")
        ordering = ["-size"]
        constraints = [
            models.UniqueConstraint(
                fields=["witness", "checkpoint"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.witness} @ {self.size}"
