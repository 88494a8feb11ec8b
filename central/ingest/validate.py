"""One inbound MQTT message → a row to store, a status update, or a dead letter."""

from dataclasses import dataclass
from datetime import datetime

from central.storage.database import DeadLetter, StoredEvent
from wireproto import Envelope, ProtocolError, decode_event
from wireproto.codec import SecretLookup
from wireproto.messages import AttendanceBody
from wireproto.topics import parse_topic


@dataclass(frozen=True, slots=True)
class Inbound:
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Verified:
    envelope: Envelope
    stored: StoredEvent | None  # None for status messages (state, not evidence)


def _utc_us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def attendance_row(env: Envelope, body: AttendanceBody) -> dict[str, object]:
    return {
        "site": env.site,
        "device": env.device,
        "worker_id": body.worker_id,
        "direction": body.direction,
        "method": body.method,
        "distance": body.distance,
        "liveness": body.liveness,
        "captured_at": body.captured_at.isoformat(),
        "captured_utc_us": _utc_us(body.captured_at),
        # The device stamps local site time with its offset: the date part is the site's date.
        "local_date": body.captured_at.date().isoformat(),
    }


def validate(msg: Inbound, secrets: SecretLookup) -> Verified | DeadLetter:
    """Never raises on input: everything that is not a valid event becomes a dead letter."""
    parts = parse_topic(msg.topic)
    if parts is None or parts.channel not in ("events", "status"):
        return DeadLetter(msg.topic, "bad_topic", "", msg.payload)
    try:
        env = decode_event(msg.payload, secrets, parts.site, parts.device)
    except ProtocolError as exc:
        return DeadLetter(msg.topic, exc.reason, exc.detail, msg.payload)
    if parts.channel == "status":
        if env.kind != "status":
            return DeadLetter(msg.topic, "kind_mismatch", f"{env.kind} on status", msg.payload)
        return Verified(env, None)
    if env.kind != parts.name:
        return DeadLetter(msg.topic, "kind_mismatch", f"{env.kind} on {parts.name}", msg.payload)
    body = env.body
    stored = StoredEvent(
        event_id=env.id,
        site=env.site,
        device=env.device,
        seq=env.seq,
        kind=env.kind,
        created_at=env.created_at.isoformat(),
        payload=msg.payload.decode("utf-8"),
        attendance=attendance_row(env, body) if isinstance(body, AttendanceBody) else None,
    )
    return Verified(env, stored)
