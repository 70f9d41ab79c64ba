"""Application-level encryption of personal fields, and keyed blind indexes for exact search.

Ciphertext format (text, ASCII): "v1:<key id>:<base64url(nonce || AES-GCM ciphertext+tag)>".
The key id lets `rotate_keys` find what still uses an old key. Keys come from CMER_FIELD_KEYS
("id:secret,id:secret", the first is current); each secret is stretched to 256 bits with HKDF so
any long random string works. The field name is bound as associated data: a value copied from
one column to another does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "v1"


class DecryptionError(Exception):
    """A value could not be decrypted: wrong key, unknown key id, or altered ciphertext."""


def _derive(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"cmer-field-v1").derive(
        secret.encode()
    )


@cache
def _keys(spec: str) -> tuple[str, dict[str, bytes]]:
    pairs = [item.split(":", 1) for item in spec.split(",") if item.strip()]
    if not pairs or any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
        raise ValueError("CMER_FIELD_KEYS must read 'id:secret[,id:secret…]'")
    return pairs[0][0], {kid: _derive(secret) for kid, secret in pairs}


def current_key_id() -> str:
    return _keys(settings.CMER_FIELD_KEYS)[0]


def encrypt(plaintext: str, *, field: str, key_id: str | None = None) -> str:
    kid, keys = _keys(settings.CMER_FIELD_KEYS)
    kid = key_id or kid
    nonce = os.urandom(12)
    sealed = AESGCM(keys[kid]).encrypt(nonce, plaintext.encode(), field.encode())
    return f"{PREFIX}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def decrypt(token: str, *, field: str) -> str:
    try:
        prefix, kid, body = token.split(":", 2)
        if prefix != PREFIX:
            raise ValueError(prefix)
        key = _keys(settings.CMER_FIELD_KEYS)[1][kid]
        raw = base64.urlsafe_b64decode(body.encode())
        return AESGCM(key).decrypt(raw[:12], raw[12:], field.encode()).decode()
    except (InvalidTag, KeyError, ValueError, IndexError) as exc:
        raise DecryptionError(f"cannot decrypt field {field!r} (key id or content invalid)") from exc


def normalise(value: str) -> str:
    """Case, accents and spaces do not matter for exact search: 'Élodie  DUPONT' = 'elodie dupont'."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace("-", " ").replace("'", " ").split())


def blind_index(*parts: str, key: str | None = None) -> str:
    """Keyed HMAC of the normalised values: equal inputs match, nothing can be read back."""
    secret = (key or settings.CMER_BLIND_INDEX_KEY).encode()
    message = "\x1f".join(normalise(p) for p in parts).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
