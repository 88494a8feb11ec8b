"""The sitegate wire protocol, version 1: the one contract between gates and central.

Both ``edge`` and ``central`` import this package and nothing else defines topics, payloads
or signatures. It depends only on pydantic and the standard library, so a process that
imports it (central in particular) never loads opencv or dlib. The human-readable
specification, enough to write a compatible gate with mosquitto_pub and openssl, is
``docs/protocol.md``.
"""

from wireproto.codec import ProtocolError, decode_ack, decode_event, encode_ack, encode_event
from wireproto.ids import new_event_id
from wireproto.messages import (
    PROTOCOL_VERSION,
    Ack,
    AckResult,
    AttendanceBody,
    DeviceStatusBody,
    DustAlarmBody,
    DustReadingBody,
    Envelope,
)
from wireproto.signing import canonical_bytes, sign, verify

__all__ = [
    "PROTOCOL_VERSION",
    "Ack",
    "AckResult",
    "AttendanceBody",
    "DeviceStatusBody",
    "DustAlarmBody",
    "DustReadingBody",
    "Envelope",
    "ProtocolError",
    "canonical_bytes",
    "decode_ack",
    "decode_event",
    "encode_ack",
    "encode_event",
    "new_event_id",
    "sign",
    "verify",
]
