"""Every key the platform derives from its key-encryption secret, in one place.

The secret is PDAO_KEY_ENCRYPTION_SECRET (`settings.KEY_ENCRYPTION_SECRET`, by default the
SECRET_KEY). Keys are derived with HKDF-SHA256 (RFC 5869) when they are needed and never
stored. Each purpose below has a salt of its own, so a key for one purpose tells nothing about
the key for another (key separation): a leaked watermark key does not decrypt a signing key
and does not predict the zone's noise.

A purpose's salt, info and length are frozen: changing one changes its key, and then the
encrypted signing keys stop decrypting, released noise and pseudonyms stop matching what was
released before, and leaked files no longer trace. tests/core/test_keys.py pins each purpose
to an HKDF computation spelled out in full.

>>> len(derive(ZONE_NOISE)), len(derive(ZONE_PSEUDONYMS, b"LZ-AU-2026-0001"))  # doctest: +SKIP
(32, 32)
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@dataclass(frozen=True)
class Purpose:
    """What a derived key is for: HKDF's salt, and its info when that is fixed (None: each
    use names its own context, e.g. one authorization)."""

    salt: bytes
    info: bytes | None
    length: int = 32


ZONE_PSEUDONYMS = Purpose(salt=b"pdao-zone-pseudonyms", info=None)
"""The zone's pseudonyms of direct identifiers in released records, one key per authorization
(context: its code) — the same person has the same pseudonym within an authorization and
unlinkable ones across authorizations (pdao.zone.policy.pseudonym_key)."""

ZONE_NOISE = Purpose(salt=b"pdao-zone-noise", info=b"cell-keys")
"""The cell-key noise of the zone's aggregates, one key for the whole platform — a cell gets
the same noise whoever asks, so no two draws of one cell can be averaged — and, through it,
the keyed privacy-unit column of the zone's prepared copies of each version
(pdao.zone.policy.noise_key, pdao.zone.engine.prepare)."""

GATEWAY_WATERMARK = Purpose(salt=b"pdao-watermark", info=b"deliveries")
"""The consumer gateway's watermarks in record-level deliveries and the keyed tags of
delivered row keys; a leaked file is traced with it (pdao.products.gateway.watermark_key)."""

LEDGER_SIGNING = Purpose(salt=b"pdao-signing-keys", info=b"v1")
"""The passphrase that encrypts the ledger's Ed25519 signing keys at rest (PKCS#8 PEM;
pdao.ledger.keys)."""

PURPOSES = {
    "zone pseudonyms": ZONE_PSEUDONYMS,
    "zone noise": ZONE_NOISE,
    "gateway watermark": GATEWAY_WATERMARK,
    "ledger signing": LEDGER_SIGNING,
}


def derive(purpose: Purpose, context: bytes | None = None) -> bytes:
    """The key for `purpose`, derived from the key-encryption secret.

    Args:
        purpose: one of the purposes above.
        context: the HKDF info of a purpose whose info is not fixed (ZONE_PSEUDONYMS: the
            authorization's code); given for any other purpose, it is an error.

    Returns:
        `purpose.length` bytes, the same for the same secret, purpose and context.
    """
    if (purpose.info is None) != (context is not None):
        raise ValueError("a context is given exactly for the purposes without a fixed info")
    info = purpose.info if context is None else context
    return HKDF(hashes.SHA256(), purpose.length, salt=purpose.salt, info=info).derive(
        settings.KEY_ENCRYPTION_SECRET.encode()
    )
