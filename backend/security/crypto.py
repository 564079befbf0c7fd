"""Fields encrypted at rest and keyed hashes for exact look-ups.

Ciphertexts are ``v1.<key id>.<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>``: authenticated, and naming
the key that made them so that keys can rotate (old ciphertexts stay readable while their key is configured).
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncSession

from backend.settings import Settings

_VERSION = "v1"
_NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value could not be decrypted: unknown key id, or tampered with."""


def _decode_key(encoded: str) -> bytes:
    key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    if len(key) != 32:
        raise ValueError("an encryption key must be 32 bytes, base64-encoded")
    return key


@dataclass(frozen=True)
class FieldCipher:
    current_key_id: str
    keys: dict[str, bytes]
    lookup_key: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> "FieldCipher":
        assert settings.encryption_key_id
        assert settings.encryption_key
        assert settings.lookup_key
        keys = {
            kid: _decode_key(secret.get_secret_value())
            for kid, secret in settings.previous_encryption_keys.items()
        }
        keys[settings.encryption_key_id] = _decode_key(settings.encryption_key.get_secret_value())
        return cls(settings.encryption_key_id, keys, settings.lookup_key.get_secret_value().encode())

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt ``plaintext``; ``context`` (e.g. ``minor.phone``) is bound in, so values cannot be swapped."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current_key_id]).encrypt(nonce, plaintext.encode(), context.encode())
        payload = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{_VERSION}.{self.current_key_id}.{payload}"

    def decrypt(self, token: str, *, context: str) -> str:
        try:
            version, key_id, payload = token.split(".", 2)
        except ValueError as exc:
            raise DecryptionError("malformed ciphertext") from exc
        key = self.keys.get(key_id)
        if version != _VERSION or key is None:
            raise DecryptionError("unknown key id")
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        try:
            return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()).decode()
        except InvalidTag as exc:
            raise DecryptionError("ciphertext does not authenticate") from exc

    def key_id_of(self, token: str) -> str:
        return token.split(".", 2)[1]

    def lookup_hash(self, value: str, *, context: str) -> str:
        """A keyed hash for exact matching (HMAC-SHA256): without the key, equal values cannot be found."""
        return hmac.new(self.lookup_key, f"{context}\x00{value}".encode(), hashlib.sha256).hexdigest()


_SESSION_KEY = "qinghu.cipher"


def session_info(cipher: FieldCipher) -> dict[str, Any]:
    """What the application's sessions carry so that services find the cipher (``cipher_of``)."""
    return {_SESSION_KEY: cipher}


def cipher_of(session: AsyncSession) -> FieldCipher:
    """The application's cipher, carried by every session of its sessionmaker: services that encrypt, decrypt
    or hash a number take it from the session they already have instead of from a parameter."""
    cipher = session.info.get(_SESSION_KEY)
    if not isinstance(cipher, FieldCipher):
        raise RuntimeError("this session was made without the application's cipher (make_sessionmaker info)")
    return cipher
