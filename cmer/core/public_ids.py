"""Opaque identifiers of cell objects in URLs (ADR 0009).

Primary keys are sequential across the whole platform: `/situations/1042/` would tell a member of
one cell how many situations all cells hold, and how fast that grows. Instead, a URL carries a
token: AES over one 16-byte block (8 bytes naming the kind of object, 8 bytes of the primary key),
written as 26 characters of lowercase base32. A block cipher under a fixed key is a permutation,
so every key has exactly one token, and the token gives back the key and nothing else: no
storage, no column, no lookup. Consecutive keys give unrelated tokens; a token of one kind (a
case) does not decode as another (a meeting); an altered token does not decode at all.

The key is derived with HKDF from CMER_BLIND_INDEX_KEY (own `info`, so it is independent of the
blind index itself); rotating that key changes every token, and old links answer 404.

Each kind is a Django path converter (`<case:pk>`): `reverse()` and `{% url %}` still take the
integer, views still receive it, and a token that does not decode makes the URL not match (404).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import cache, lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.urls import register_converter

# One converter per kind of cell object named in a URL. The name is also what the token is bound
# to: renaming a kind changes its tokens.
KINDS = (
    "case",
    "referral",
    "meeting",
    "agenda_item",
    "transmission",
    "prefet_information",  # spelt as in its URL; the exchange app alone names that compartment
    "threat_briefing",
    "action",
    "training_session",
    "certification",
    "bias_override",
    "purge_report",
    "rights_request",
    "membership",
    "invitation",
    "factor_reset",
    "notification",
    "passkey",
    # Named only in form fields (cmer/core/id_fields.py), never in a URL:
    "attendee",
    "observation",
    "user",
)
TOKEN_LENGTH = 26  # 128 bits in base32, without the padding
_MAX_PK = 2**63 - 1  # a bigint: a larger value never names a row


@cache
def _cipher(secret: str) -> Cipher[modes.ECB]:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"cmer-url-ids-v1").derive(
        secret.encode()
    )
    # ECB over exactly one block is the raw block cipher, a keyed permutation of 128-bit values:
    # what is wanted here (deterministic, reversible). Nothing longer than one block is encrypted.
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305  # nosec B305


@cache
def _tag(kind: str) -> bytes:
    return hashlib.sha256(f"cmer-url-kind:{kind}".encode()).digest()[:8]


def public_id(kind: str, pk: int) -> str:
    """The token of object `pk` of `kind`, as it appears in URLs."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of public id: {kind!r}")
    if not 0 < pk <= _MAX_PK:
        raise ValueError("a primary key is a positive bigint")
    return _encode(settings.CMER_BLIND_INDEX_KEY, kind, pk)


# A list page writes the same few links on every row and every visit; one token costs ~20 µs
# (cipher context + base32), about a fifth of a reverse(). 4096 entries are well under 1 MB.
@lru_cache(maxsize=4096)
def _encode(secret: str, kind: str, pk: int) -> str:
    encryptor = _cipher(secret).encryptor()
    block = encryptor.update(_tag(kind) + pk.to_bytes(8, "big")) + encryptor.finalize()
    return base64.b32encode(block).decode().rstrip("=").lower()


def primary_key(kind: str, token: str) -> int:
    """The primary key a token of `kind` names; ValueError if it is not such a token."""
    if len(token) != TOKEN_LENGTH:
        raise ValueError("not a public id")
    try:
        block = base64.b32decode(token.upper() + "======")
    except binascii.Error as exc:
        raise ValueError("not a public id") from exc
    decryptor = _cipher(settings.CMER_BLIND_INDEX_KEY).decryptor()
    pk = int.from_bytes((decryptor.update(block) + decryptor.finalize())[8:], "big")
    # Encrypting back must give the very same token. As the cipher is a permutation, this holds
    # only if the decrypted block began with this kind's tag (an altered token, or another kind's,
    # does not), and only for the canonical spelling (the last base32 character has 2 spare bits
    # that b32decode ignores).
    if not 0 < pk <= _MAX_PK or public_id(kind, pk) != token:
        raise ValueError("not a public id of this kind")
    return pk


class PublicIdConverter:
    """`<kind:pk>` in a URL pattern: a token in the URL, the integer primary key in Python."""

    regex = f"[a-z2-7]{{{TOKEN_LENGTH}}}"
    kind = ""  # set by register_converters(), one subclass per kind

    def to_python(self, value: str) -> int:
        return primary_key(self.kind, value)

    def to_url(self, value: int | str) -> str:
        # reverse() and {% url %} pass the primary key; a ValueError there is a NoReverseMatch.
        return public_id(self.kind, int(value))


def register_converters() -> None:
    """Called once at start-up (CoreConfig.ready), before any URL pattern is compiled."""
    for kind in KINDS:
        register_converter(type(f"PublicIdConverter[{kind}]", (PublicIdConverter,), {"kind": kind}), kind)
