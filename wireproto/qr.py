"""The check-in QR token: a worker's short-lived, signed pass for the gate's other way in.

A worker who has not consented to face check-in (or whose face fails) shows a QR code from
their worker account. Central issues it; the gate checks it offline. So the token is signed
with **Ed25519** under central's private key and the gate holds only the public half: a
stolen gate cannot mint passes, unlike with a shared HMAC secret.

Format (ASCII, ~240 characters: a version-11 QR code, 61x61 modules)::

    SGQ1.<claims>.<signature>

``claims`` is base64url (no padding) of the canonical JSON (see :mod:`wireproto.signing`) of
:class:`QrClaims`; ``signature`` is base64url of the Ed25519 signature over the ASCII bytes
``SGQ1.<claims>``, so a verifier never re-serialises anything before checking it.

The token is short-lived (``exp - iat`` at most :data:`MAX_TTL_S`) and carries a random
``jti``: a gate admits a token once and remembers its ``jti`` until it expires, so a photo of
someone else's screen does not work twice and goes stale within minutes.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import UTC, datetime
from typing import Annotated, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wireproto.messages import Id, WorkerId
from wireproto.signing import canonical_bytes

PREFIX = "SGQ1"
MAX_TTL_S = 600
"""Longest validity central may give a token; gates refuse longer-lived ones."""
DEFAULT_TTL_S = 120
DEFAULT_LEEWAY_S = 30
"""Clock difference tolerated between central and a gate (gates sync by NTP, not perfectly)."""
PUBLIC_KEY_PREFIX = "ed25519:"
PRIVATE_KEY_PREFIX = "ed25519-private:"


class QrTokenError(ValueError):
    """A QR token was refused; ``reason`` is a stable code for logs and counters."""

    reason = "invalid"


class QrTokenMalformed(QrTokenError):
    """The text is not a sitegate QR token."""

    reason = "malformed"


class QrTokenBadSignature(QrTokenError):
    """The token was not signed by central's key (forged or altered)."""

    reason = "bad_signature"


class QrTokenExpired(QrTokenError):
    """The token's validity has ended."""

    reason = "expired"


class QrTokenNotYetValid(QrTokenError):
    """The token was issued in the future (clocks too far apart)."""

    reason = "not_yet_valid"


class QrTokenWrongSite(QrTokenError):
    """The token was issued for another site."""

    reason = "wrong_site"


class QrClaims(BaseModel):
    """What a token says: who, where, and for how long (times are Unix seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    site: Id
    worker_id: WorkerId
    jti: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{16,32}$", description="token id")]
    iat: Annotated[int, Field(ge=0)]
    exp: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _short_lived(self) -> QrClaims:
        if not 0 < self.exp - self.iat <= MAX_TTL_S:
            raise ValueError(f"validity must be 1..{MAX_TTL_S} s")
        return self


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or any(c not in _B64URL for c in text):
        raise QrTokenMalformed("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise QrTokenMalformed("not base64url") from None


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _unix(at: datetime | None) -> int:
    return int((at or datetime.now(UTC)).timestamp())


def generate_private_key() -> Ed25519PrivateKey:
    """A new signing key for central (keep it in central's secret store, never on a gate)."""
    return Ed25519PrivateKey.generate()


def private_key_text(key: Ed25519PrivateKey) -> str:
    """``ed25519-private:<base64url of the 32-byte seed>``, for central's secret store."""
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return PRIVATE_KEY_PREFIX + _b64encode(raw)


def load_private_key(text: str) -> Ed25519PrivateKey:
    """Parse :func:`private_key_text`'s output; ValueError with the reason otherwise."""
    if not text.startswith(PRIVATE_KEY_PREFIX):
        raise ValueError(f"private key must start with {PRIVATE_KEY_PREFIX!r}")
    try:
        raw = _b64decode(text[len(PRIVATE_KEY_PREFIX) :])
    except QrTokenMalformed:
        raise ValueError("private key is not base64url") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 private key has 32 bytes, not {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """``ed25519:<base64url of the 32 raw bytes>``: the form a gate config holds."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return PUBLIC_KEY_PREFIX + _b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def load_public_key(text: str) -> Ed25519PublicKey:
    """Parse :func:`public_key_text`'s output; ValueError with the reason otherwise."""
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise ValueError(f"public key must start with {PUBLIC_KEY_PREFIX!r}")
    try:
        raw = _b64decode(text[len(PUBLIC_KEY_PREFIX) :])
    except QrTokenMalformed:
        raise ValueError("public key is not base64url") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, not {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def issue_token(
    key: Ed25519PrivateKey,
    site: str,
    worker_id: str,
    *,
    now: datetime | None = None,
    ttl_s: int = DEFAULT_TTL_S,
) -> str:
    """Sign a new single-use token for ``worker_id`` at ``site`` (central calls this)."""
    iat = _unix(now)
    claims = QrClaims(
        site=site,
        worker_id=worker_id,
        jti=_b64encode(secrets.token_bytes(16)),
        iat=iat,
        exp=iat + ttl_s,
    )
    signed = f"{PREFIX}.{_b64encode(canonical_bytes(claims.model_dump()))}"
    return f"{signed}.{_b64encode(key.sign(signed.encode('ascii')))}"


def verify_token(
    token: str,
    public_key: Ed25519PublicKey,
    site: str,
    *,
    now: datetime | None = None,
    leeway_s: int = DEFAULT_LEEWAY_S,
) -> QrClaims:
    """Return the claims of a genuine, current token for ``site``, or raise QrTokenError.

    The signature is checked before the claims are even parsed, so a forger learns nothing
    from the error. Single use is the gate's job (it keeps the ``jti`` until ``exp``).
    """
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise QrTokenMalformed(f"not a {PREFIX} token")
    signature = _b64decode(parts[2])
    try:
        public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature:
        raise QrTokenBadSignature("signature does not match central's key") from None
    try:
        claims = QrClaims.model_validate_json(_b64decode(parts[1]), strict=True)
    except (ValueError, ValidationError) as exc:
        raise QrTokenMalformed(f"bad claims: {exc}") from None
    t = _unix(now)
    if t > claims.exp + leeway_s:
        raise QrTokenExpired(f"expired {t - claims.exp} s ago")
    if t < claims.iat - leeway_s:
        raise QrTokenNotYetValid(f"issued {claims.iat - t} s in the future")
    if claims.site != site:
        raise QrTokenWrongSite(f"issued for site {claims.site}")
    return claims


__all__ = [
    "DEFAULT_TTL_S",
    "MAX_TTL_S",
    "QrClaims",
    "QrTokenBadSignature",
    "QrTokenError",
    "QrTokenExpired",
    "QrTokenMalformed",
    "QrTokenNotYetValid",
    "QrTokenWrongSite",
    "generate_private_key",
    "issue_token",
    "load_private_key",
    "load_public_key",
    "private_key_text",
    "public_key_text",
    "verify_token",
]
