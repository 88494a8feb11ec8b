"""One inbound MQTT message → a row to store, a status update, or a dead letter."""

from dataclasses import dataclass

from central.ingest.projections import project
from central.storage.database import DeadLetter, StoredEvent
from wireproto import Envelope, ProtocolError, decode_event
from wireproto.codec import SecretLookup
from wireproto.topics import parse_topic


@dataclass(frozen=True, slots=True)
class Inbound:
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Verified:
    envelope: Envelope
    stored: StoredEvent | None  # None for status messages (state, not evidence)


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
    stored = StoredEvent(
        event_id=env.id,
        site=env.site,
        device=env.device,
        seq=env.seq,
        kind=env.kind,
        created_at=env.created_at.isoformat(),
        payload=msg.payload.decode("utf-8"),
        projection=project(env),
    )
    return Verified(env, stored)
