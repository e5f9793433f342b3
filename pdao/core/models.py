"""Abstract models more than one pillar builds on; core itself keeps no tables."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicObjection(models.Model):
    """异议 — raised by anyone, without an account, while something is on public notice;
    answered by the bureau. A subclass adds the foreign key to what is objected to."""

    raised_by_name = models.CharField(_("异议人"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=100)
    text = models.TextField(_("异议内容"), max_length=2000)
    raised_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    response = models.TextField(_("答复"), blank=True)
    upheld = models.BooleanField(_("异议成立"), null=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    tracking_no = models.CharField(_("受理编号"), max_length=20, unique=True, null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)  # repeats

    class Meta:
        abstract = True
        ordering = ["raised_at"]


class PartySignature(models.Model):
    """One party's Ed25519 signature, with its agreement key, over the SHA-256 of a document's
    canonical form. A subclass adds the foreign key to the document."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    signer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey("ledger.SigningKey", on_delete=models.PROTECT, related_name="+")
    signature = models.BinaryField(max_length=64)
    signed_at = models.DateTimeField(_("签署时间"), auto_now_add=True)

    class Meta:
        abstract = True
