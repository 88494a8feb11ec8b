"""Canonical serialisation and HMAC-SHA256 signatures.

A signature must be reproducible by a third party with only a text editor and openssl, so
the canonical form is plain JSON with fixed rules instead of a binary encoding:

- the envelope object without its ``sig`` member;
- object keys sorted by code point, at every level;
- no insignificant whitespace (separators ``,`` and ``:``);
- strings as UTF-8, non-ASCII characters written as themselves (no ``\\u`` escapes);
- integers without a decimal point; floats in their shortest round-trip form (``0.4123``).

Verification works on the JSON object as received, never on a re-serialised model, so a
device that writes its JSON already canonical (as ``docs/protocol.md`` shows) signs exactly
the bytes it sends minus the signature.
"""

import hashlib
import hmac
import json
from typing import Any

SIG_FIELD = "sig"


def canonical_bytes(obj: dict[str, Any]) -> bytes:
    """The bytes that are signed: ``obj`` minus ``sig`` in canonical JSON."""
    unsigned = {k: v for k, v in obj.items() if k != SIG_FIELD}
    return json.dumps(
        unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sign(obj: dict[str, Any], secret: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the canonical form under the device's secret."""
    return hmac.new(secret, canonical_bytes(obj), hashlib.sha256).hexdigest()


def verify(obj: dict[str, Any], secret: bytes) -> bool:
    """Constant-time check of ``obj["sig"]``; False when missing or wrong."""
    given = obj.get(SIG_FIELD)
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.lower(), sign(obj, secret))
