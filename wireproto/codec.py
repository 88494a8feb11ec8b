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
from wireproto.signing import sign, verify

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


def load_object(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> dict[str, Any]:
    """A JSON object from the wire, or the reason it is not one."""
    if len(payload) > max_bytes:
        raise ProtocolError("too_large", f"{len(payload)} bytes > {max_bytes}")
    try:
        obj = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError("malformed_json", str(exc)[:200]) from None
    if not isinstance(obj, dict):
        raise ProtocolError("not_an_object", type(obj).__name__)
    return obj


def check_version(obj: dict[str, Any]) -> None:
    """``v`` must be the integer 1 (``True == 1`` in Python, so compare the type too)."""
    version = obj.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise ProtocolError("unsupported_version", repr(version)[:50])


def _schema_error(exc: ValidationError) -> ProtocolError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return ProtocolError("invalid_schema", f"{where}: {first['msg']}"[:200])


_SIG_MEMBER = re.compile(rb',"sig":"([0-9a-f]{64})"')


def _verified_as_sent(
    payload: bytes, secrets: SecretLookup, topic_site: str | None, topic_device: str | None
) -> Envelope | None:
    """The fast path for senders that write canonical JSON, as every reference gate does.

    Then the signed bytes are the payload minus its one ``,"sig":"…"`` member, so the HMAC
    can be checked on the bytes as received, without parsing into a dict and serialising it
    again (a quarter of central's ingest CPU). Any doubt (no such member or more than one
    ``"sig"``, a schema error, a wrong topic, unknown device, a mismatch) returns None and the
    full path decides, with its precise reason. Whatever passes here, the device's secret
    signed exactly these bytes: nothing is accepted that a secret holder did not write.
    """
    if len(payload) > MAX_PAYLOAD_BYTES or payload.count(b'"sig"') != 1:
        return None
    member = _SIG_MEMBER.search(payload)
    if member is None:
        return None
    try:
        envelope = Envelope.model_validate_json(payload, strict=True)
    except (ValidationError, RecursionError):
        return None
    given = member.group(1).decode("ascii")
    if envelope.sig != given:
        return None
    if topic_site is not None and (envelope.site, envelope.device) != (topic_site, topic_device):
        return None
    secret = secrets(envelope.site, envelope.device)
    if secret is None:
        return None
    unsigned = payload[: member.start()] + payload[member.end() :]
    expected = hmac.new(secret, unsigned, hashlib.sha256).hexdigest()
    return envelope if hmac.compare_digest(expected, given) else None


def decode_event(
    payload: bytes,
    secrets: SecretLookup,
    topic_site: str | None = None,
    topic_device: str | None = None,
) -> Envelope:
    """Parse, check version, schema, topic and signature, in that order.

    ``secrets(site, device)`` returns the device's HMAC secret or None when the device is
    not provisioned. The topic's site/device, when given, must match the envelope's: a
    device may only speak for itself.
    """
    fast = _verified_as_sent(payload, secrets, topic_site, topic_device)
    if fast is not None:
        return fast
    obj = load_object(payload)
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
    if not verify(obj, secret):
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
