"""One inbound MQTT message → a row to store, a status update, or a dead letter.

Replay window: an event created longer ago than ``REPLAY_WINDOW`` is dead-lettered as
``outside_replay_window`` even when its signature is good. Central keeps every event id it
stored, so a replay of a stored event is only ever a harmless duplicate; the window bounds
what a captured-but-never-delivered event (or one replayed into a restored database) can
still do. It is far longer than any outage a gate's outbox is sized for; an event refused
this way is kept in the dead-letter table (nothing is lost) for an operator to judge, and
its gate is answered ``rejected``, so it stops resending and keeps its copy for inspection.
A very late resend of an event that *is* stored already is not a dead letter at all: the
writer answers it ``duplicate`` like any other resend (one outcome per message).
Status messages are exempt: the last will is signed when the gate connects, possibly weeks
before it fires.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from central.ingest.projections import project
from central.storage.database import DeadLetter, StoredEvent
from wireproto import Envelope, ProtocolError, decode_event
from wireproto.codec import SecretLookup
from wireproto.topics import EVENT_KINDS, parse_topic

REPLAY_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Inbound:
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Verified:
    envelope: Envelope
    stored: StoredEvent | None  # None for status messages (state, not evidence)


def validate(
    msg: Inbound,
    secrets: SecretLookup,
    now: datetime | None = None,
    replay_window: timedelta = REPLAY_WINDOW,
) -> Verified | DeadLetter:
    """Never raises on input: everything that is not a valid event becomes a dead letter."""
    parts = parse_topic(msg.topic)
    if parts is None or parts.channel not in ("events", "status"):
        return DeadLetter(msg.topic, "bad_topic", "", msg.payload)
    if parts.channel == "events" and parts.name not in EVENT_KINDS:
        # Decided on the topic alone, before parsing: an unknown kind is a bad topic.
        return DeadLetter(msg.topic, "bad_topic", f"no event kind {parts.name}"[:100], msg.payload)
    try:
        env = decode_event(msg.payload, secrets, parts.site, parts.device)
    except ProtocolError as exc:
        return DeadLetter(msg.topic, exc.reason, exc.detail, msg.payload)
    if parts.channel == "status":
        if env.kind != "status":
            return DeadLetter(msg.topic, "kind_mismatch", f"{env.kind} on status", msg.payload)
        return Verified(env, None)
    if env.kind not in EVENT_KINDS or env.kind != parts.name:  # no status stored as evidence
        return DeadLetter(msg.topic, "kind_mismatch", f"{env.kind} on {parts.name}", msg.payload)
    age = (now or datetime.now(UTC)) - env.created_at
    if age > replay_window:
        detail = f"created {age.days} days ago, window {replay_window.days} days"
        return DeadLetter(msg.topic, "outside_replay_window", detail, msg.payload, env.id)
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
