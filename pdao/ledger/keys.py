"""Ed25519 keys held by the platform, encrypted at rest.

Private keys are stored as PKCS#8 PEM encrypted with a passphrase derived (HKDF-SHA256) from
PDAO_KEY_ENCRYPTION_SECRET (default: the SECRET_KEY) for pdao.core.keys.LEDGER_SIGNING. They
are decrypted only in memory, to sign, and never shown in a page or an API. Changing the
secret requires re-encrypting the keys (`manage.py ledger_keys --rotate-secret`, to come with
key rotation).
"""

from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import IntegrityError, transaction

from pdao.core.keys import LEDGER_SIGNING, derive
from pdao.ledger import note
from pdao.ledger.models import SigningKey


def _passphrase() -> bytes:
    return derive(LEDGER_SIGNING)


def _encrypt(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )


@lru_cache(maxsize=16)
def _decrypt(encrypted: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(encrypted, password=_passphrase())
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("not an Ed25519 key")
    return key


def _sig_type(purpose: str) -> int:
    return note.COSIGNATURE_V1 if purpose == SigningKey.Purpose.WITNESS else note.ED25519


def ensure(name: str, *, purpose: str, holder: str) -> SigningKey:
    """The key called `name`, generated on first use."""
    existing = SigningKey.objects.filter(name=name).first()
    if existing is not None:
        return existing
    private_key = Ed25519PrivateKey.generate()
    signer = note.Signer(name, private_key, _sig_type(purpose))
    try:
        with transaction.atomic():
            return SigningKey.objects.create(
                name=name,
                purpose=purpose,
                holder=holder,
                vkey=signer.verifier.vkey,
                encrypted_private_key=_encrypt(private_key),
            )
    except IntegrityError:  # another process generated it first
        return SigningKey.objects.get(name=name)


def signer(key: SigningKey) -> note.Signer:
    private_key = _decrypt(bytes(key.encrypted_private_key))
    return note.Signer(key.name, private_key, _sig_type(key.purpose))


def verifier(key: SigningKey) -> note.Verifier:
    return note.Verifier.from_vkey(key.vkey)
