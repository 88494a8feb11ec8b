"""Bytes on the wire ↔ validated, verified models, with one named reason per failure.

Central dead-letters a message under the ``reason`` of the :class:`ProtocolError` it gets
here, so these reason codes are part of the protocol (listed in docs/protocol.md).
"""

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from wireproto.messages import PROTOCOL_VERSION, Ack, Envelope
from wireproto.signing import SIG_FIELD, canonical_bytes, sign, verify

MAX_PAYLOAD_BYTES = 64 * 1024

SecretLookup = Callable[[str, str], bytes | None]


class ProtocolError(Exception):
    """A payload that does not follow the protocol; ``reason`` is a stable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _dumps(obj: dict[str, Any]) -> bytes:
    """Sorted keys: what we send is the canonical form plus ``sig``, easy to check by eye."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode_event(envelope: Envelope, secret: bytes) -> bytes:
    """Sign and serialise; the signature covers the JSON form, not the Python objects."""
    obj = envelope.model_dump(mode="json", exclude={"sig"})
    obj["sig"] = sign(obj, secret)
    return _dumps(obj)


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a repeated key: parsers disagree on which copy wins."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key in an object")
    return obj


def load_object(
    payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES, *, unique_keys: bool = True
) -> dict[str, Any]:
    """A JSON object from the wire, or the reason it is not one.

    ``unique_keys=False`` skips the repeated-key check, for a caller that proves it another
    way (:func:`decode_event`: bytes equal to a serialised dict cannot repeat a key).
    """
    if len(payload) > max_bytes:
        raise ProtocolError("too_large", f"{len(payload)} bytes > {max_bytes}")
    hook = _unique_members if unique_keys else None
    try:
        obj = json.loads(payload.decode("utf-8"), object_pairs_hook=hook)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError("malformed_json", str(exc)[:200]) from None
    if not isinstance(obj, dict):
        raise ProtocolError("not_an_object", type(obj).__name__)
    return obj


_SIG_MEMBER = re.compile(rb',"sig":"[0-9a-f]{64}"')
_SIG_MEMBER_LEN = len(b',"sig":""') + 64


def _canonical(obj: dict[str, Any]) -> bytes | None:
    """The signed form of ``obj``; None when it has none (NaN or an infinity in it, or nesting
    deeper than the encoder recurses: ``json.loads`` accepts depths ``json.dumps`` refuses)."""
    try:
        return canonical_bytes(obj)
    except (ValueError, RecursionError):
        return None


def _is_canonical_as_sent(payload: bytes, canonical: bytes) -> bool:
    """Whether ``payload`` is ``canonical`` plus one ``,"sig":"…"`` member, byte for byte.

    A cheap certificate, not a shortcut: the verdict is the same either way. It proves the
    payload repeats no key (it equals the serialisation of a dict), which otherwise takes a
    slower second parse.
    """
    if len(payload) != len(canonical) + _SIG_MEMBER_LEN or payload.count(b'"sig"') != 1:
        return False
    member = _SIG_MEMBER.search(payload)
    return member is not None and payload[: member.start()] + payload[member.end() :] == canonical


def check_version(obj: dict[str, Any]) -> None:
    """``v`` must be the integer 1 (``True == 1`` in Python, so compare the type too)."""
    version = obj.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise ProtocolError("unsupported_version", repr(version)[:50])


def _schema_error(exc: ValidationError) -> ProtocolError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return ProtocolError("invalid_schema", f"{where}: {first['msg']}"[:200])


def decode_event(
    payload: bytes,
    secrets: SecretLookup,
    topic_site: str | None = None,
    topic_device: str | None = None,
) -> Envelope:
    """Parse, check version, schema, topic and signature, in that order.

    There is one path for every layout: the HMAC is always checked on the canonical form of
    the object as parsed (docs/protocol.md, section 7.1). A payload that is already canonical
    costs the same as an indented one, so what a gate wrote can never decide which rules
    apply: no ``v``, ``"v": true``, ``"v": 1.0`` and number text signed as written but not
    canonical (``0.40``) are refused whatever the bytes look like.

    ``secrets(site, device)`` returns the device's HMAC secret or None when the device is
    not provisioned. The topic's site/device, when given, must match the envelope's: a
    device may only speak for itself.
    """
    obj = load_object(payload, unique_keys=False)
    canonical = _canonical(obj)
    if canonical is None or not _is_canonical_as_sent(payload, canonical):
        load_object(payload)  # any other layout: parse again, refusing repeated keys
    check_version(obj)
    try:
        # Strict: "v": true, "seq": "7" or a number for a date-time are refused, so every
        # implementation agrees on what a valid event is (docs/protocol.md).
        envelope = Envelope.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        raise _schema_error(exc) from None
    except RecursionError:
        raise ProtocolError("invalid_schema", "nested too deeply") from None
    if topic_site is not None and (envelope.site, envelope.device) != (topic_site, topic_device):
        raise ProtocolError("topic_mismatch", f"topic {topic_site}/{topic_device}")
    secret = secrets(envelope.site, envelope.device)
    if secret is None:
        raise ProtocolError("unknown_device", f"{envelope.site}/{envelope.device}")
    given = obj.get(SIG_FIELD)
    if canonical is None or not isinstance(given, str):  # no canonical form: nothing signed
        raise ProtocolError("bad_signature")
    expected = hmac.new(secret, canonical, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given, expected):
        raise ProtocolError("bad_signature")
    return envelope


def encode_ack(ack: Ack, secret: bytes) -> bytes:
    obj = ack.model_dump(mode="json", exclude={"sig"})
    obj["sig"] = sign(obj, secret)
    return _dumps(obj)


def decode_ack(payload: bytes, secret: bytes) -> Ack:
    """A device trusts an ack only when central signed it with the device's own secret."""
    obj = load_object(payload)
    check_version(obj)
    if not verify(obj, secret):
        raise ProtocolError("bad_signature")
    try:
        return Ack.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        raise _schema_error(exc) from None
