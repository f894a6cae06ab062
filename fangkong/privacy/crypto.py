"""Field encryption (AES-256-GCM) and keyed hashes (HMAC-SHA256) for ID numbers and mobiles.

A stored value reads `<key id>$<base64url(nonce + ciphertext + tag)>`: the key id (derived from the
key itself) says which key decrypts it, so a new key can be introduced while old values are still
readable (settings.FIELD_KEY encrypts, settings.FIELD_OLD_KEYS only decrypt; `fangkong privacy_rekey`
re-encrypts and re-hashes every row with the current key). The field name is the associated data, so
a ciphertext copied from one column to another does not decrypt.

Look-ups never decrypt: `keyed_hash(value)` is an HMAC under a key derived (HKDF) from the field key;
equal values give equal hashes, and without the key a hash cannot be matched against the small space
of possible ID numbers or mobiles.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

SEP = "$"
NONCE_BYTES = 12
_HASH_INFO = b"fangkong person look-up hash v1"


class DecryptionError(ValueError):
    """A stored value that no configured key decrypts (wrong key, or tampered)."""


def parse_key(text: str) -> bytes:
    """The 32 raw bytes of a base64 key, or ImproperlyConfigured."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured("FANGKONG_FIELD_KEY must be the base64 encoding of 32 random bytes")
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"fangkong field key id\0" + key).hexdigest()[:8]


@dataclass(frozen=True)
class Keyring:
    current: str  # the key id new values are encrypted under
    ciphers: dict[str, AESGCM]
    hash_key: bytes


@functools.cache
def keyring() -> Keyring:
    key = parse_key(settings.FIELD_KEY)
    ciphers = {key_id(old): AESGCM(old) for old in map(parse_key, settings.FIELD_OLD_KEYS)}
    ciphers[key_id(key)] = AESGCM(key)
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HASH_INFO)
    return Keyring(current=key_id(key), ciphers=ciphers, hash_key=hkdf.derive(key))


def _reset(*, setting: str, **kwargs: object) -> None:
    if setting in ("FIELD_KEY", "FIELD_OLD_KEYS"):
        keyring.cache_clear()


setting_changed.connect(_reset)


def sealer(field: str) -> Callable[[str], str]:
    """A function encrypting values of `field` under the current key (bulk writers keep one)."""
    ring = keyring()
    seal = ring.ciphers[ring.current].encrypt
    prefix, aad, urandom, b64 = ring.current + SEP, field.encode(), os.urandom, base64.urlsafe_b64encode

    def encrypt_one(value: str) -> str:
        if not value:
            return ""
        nonce = urandom(NONCE_BYTES)
        return prefix + b64(nonce + seal(nonce, value.encode(), aad)).decode()

    return encrypt_one


def hasher() -> Callable[[str], str]:
    """A function giving the look-up hash of values (bulk writers keep one)."""
    key, digest = keyring().hash_key, hmac.digest

    def hash_one(value: str) -> str:
        return digest(key, value.encode(), "sha256").hex() if value else ""

    return hash_one


def encrypt(value: str, field: str) -> str:
    """Encrypt under the current key with a fresh random nonce; "" stays "" (no value)."""
    return sealer(field)(value)


def is_encrypted(stored: str | None) -> bool:
    """True for a stored value in our format (a plain ID number or mobile never holds the separator)."""
    if not stored or SEP not in stored:
        return False
    return len(stored.split(SEP, 1)[0]) == 8


def key_id_of(stored: str) -> str:
    return stored.split(SEP, 1)[0]


def decrypt(stored: str, field: str) -> str:
    if not stored:
        return ""
    kid, _, body = stored.partition(SEP)
    cipher = keyring().ciphers.get(kid)
    if cipher is None or not body:
        raise DecryptionError(f"{field}: encrypted under key {kid!r}, which is not configured")
    try:
        raw = base64.urlsafe_b64decode(body)
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], field.encode()).decode()
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError(f"{field}: stored value does not decrypt (tampered or wrong key)") from None


def keyed_hash(value: str) -> str:
    """The look-up hash of a plain value (hex HMAC-SHA256); "" for no value."""
    return hasher()(value)
