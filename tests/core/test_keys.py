"""Every derived key stays byte for byte what it was: the ledger's signing keys are stored
encrypted with one, and released pseudonyms, noise and watermarks were made with the others."""

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from pdao.core import keys
from pdao.ledger import keys as ledger_keys
from pdao.products import gateway
from pdao.zone import policy

SECRET = "pinned-secret-for-tests"
CODE = b"LZ-AU-2026-0001"

# (purpose, context, salt, info) as each call site spelled HKDF before pdao.core.keys, and the
# key those give for SECRET.
PINNED = [
    (keys.ZONE_PSEUDONYMS, CODE, b"pdao-zone-pseudonyms", CODE,
     "86432a1ab452f2cf87c2a184b0811f0c77b95cacd0f2239347b5ed7b70d7d9da"),
    (keys.ZONE_NOISE, None, b"pdao-zone-noise", b"cell-keys",
     "cc7dc9918e103ac8ec23a24bbc8208caa7d55892cf38dbbe6921b3f892c2317c"),
    (keys.GATEWAY_WATERMARK, None, b"pdao-watermark", b"deliveries",
     "519d197abbdd3f391dade6c8106da6636ad2ce3abdc85a80b8dbfce2fb4df5e3"),
    (keys.LEDGER_SIGNING, None, b"pdao-signing-keys", b"v1",
     "7481cf38a3c2b57644b5e434b99279768c615938c5db63e1ce3253fd6c6e154e"),
]  # fmt: skip


def _hkdf(secret: str, salt: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=salt, info=info).derive(secret.encode())


@pytest.mark.parametrize(("purpose", "context", "salt", "info", "pinned"), PINNED)
def test_derive_gives_each_purpose_the_key_its_call_site_derived(
    settings, purpose, context, salt, info, pinned
):
    settings.KEY_ENCRYPTION_SECRET = SECRET

    key = keys.derive(purpose, context)

    assert key == _hkdf(SECRET, salt, info)
    assert key.hex() == pinned


def test_every_purpose_is_pinned_and_has_a_salt_of_its_own():
    assert {p for p, *_ in PINNED} == set(keys.PURPOSES.values())
    assert len({p.salt for p in keys.PURPOSES.values()}) == len(keys.PURPOSES)


def test_purposes_give_different_keys(settings):
    settings.KEY_ENCRYPTION_SECRET = SECRET

    derived = [keys.derive(purpose, context) for purpose, context, *_ in PINNED]

    assert len(set(derived)) == len(derived)


def test_pseudonym_keys_differ_by_authorization(settings):
    settings.KEY_ENCRYPTION_SECRET = SECRET

    first = keys.derive(keys.ZONE_PSEUDONYMS, b"LZ-AU-2026-0001")
    second = keys.derive(keys.ZONE_PSEUDONYMS, b"LZ-AU-2026-0002")

    assert first != second


def test_the_key_follows_the_secret(settings):
    settings.KEY_ENCRYPTION_SECRET = SECRET
    before = keys.derive(keys.ZONE_NOISE)

    settings.KEY_ENCRYPTION_SECRET = SECRET + "-rotated"

    assert keys.derive(keys.ZONE_NOISE) != before


@pytest.mark.parametrize(
    ("purpose", "context"), [(keys.ZONE_PSEUDONYMS, None), (keys.ZONE_NOISE, b"cell-keys")]
)
def test_a_context_is_given_exactly_where_the_info_is_not_fixed(purpose, context):
    with pytest.raises(ValueError, match="context"):
        keys.derive(purpose, context)


class _Authorization:
    code = CODE.decode()


def test_the_call_sites_derive_what_they_derived_before():
    # The platform's own secret, as it is: the cached keys are not disturbed.
    secret = settings.KEY_ENCRYPTION_SECRET

    assert policy.pseudonym_key(_Authorization()) == _hkdf(secret, b"pdao-zone-pseudonyms", CODE)
    assert policy.noise_key() == _hkdf(secret, b"pdao-zone-noise", b"cell-keys")
    assert gateway.watermark_key() == _hkdf(secret, b"pdao-watermark", b"deliveries")
    assert ledger_keys._passphrase() == _hkdf(secret, b"pdao-signing-keys", b"v1")
