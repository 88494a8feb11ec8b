"""Compact payloads get exactly the documented check (docs/protocol.md, sections 6, 7.1, 10).

Each attack payload below is compact, with ``sig`` in its sorted place, and signed correctly
over its own bytes minus the signature: the shape a shortcut that checks the HMAC on the bytes
as sent would accept. The documented check verifies the canonical form of the parsed object,
so every one must be dead-lettered with a stable reason, stored nowhere and acked never.
"""

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from factories import ZONE, Gate, writer_for
from sqlalchemy import select

from central.ingest.validate import Inbound
from central.storage import Database, schema
from wireproto import ProtocolError, decode_event, new_event_id, topics
from wireproto.topics import gate_client_id

GATE = Gate("site-a", "gate-1")
_PLACEHOLDER = "#" * 64


def event_object(**override: Any) -> dict[str, Any]:
    at = (datetime.now(ZONE) - timedelta(minutes=1)).isoformat(timespec="milliseconds")
    obj: dict[str, Any] = {
        "v": 1,
        "id": new_event_id(),
        "site": GATE.site,
        "device": GATE.device,
        "seq": 7,
        "created_at": at,
        "body": {
            "kind": "attendance",
            "worker_id": "W1",
            "direction": "in",
            "distance": 0.4123,
            "captured_at": at,
        },
    }
    obj.update(override)
    return obj


def signed_as_written(text: str) -> bytes:
    """``text`` (compact JSON with ``"sig":"###…"`` in place) signed over its bytes minus sig."""
    member = f',"sig":"{_PLACEHOLDER}"'
    assert member in text
    unsigned = text.replace(member, "").encode()
    sig = hmac.new(GATE.secret, unsigned, hashlib.sha256).hexdigest()
    return text.replace(_PLACEHOLDER, sig).encode()


def compact(obj: dict[str, Any]) -> str:
    return json.dumps({**obj, "sig": _PLACEHOLDER}, sort_keys=True, separators=(",", ":"))


def without_v() -> bytes:
    obj = event_object()
    del obj["v"]
    return signed_as_written(compact(obj))


def v_true() -> bytes:
    return signed_as_written(compact(event_object(v=True)))


def v_float() -> bytes:
    return signed_as_written(compact(event_object(v=1)).replace('"v":1}', '"v":1.0}'))


def distance_not_canonical() -> bytes:
    text = compact(event_object())
    assert '"distance":0.4123' in text
    return signed_as_written(text.replace('"distance":0.4123', '"distance":0.41230'))


def distance_with_exponent() -> bytes:
    return signed_as_written(
        compact(event_object()).replace('"distance":0.4123', '"distance":4.123e-1')
    )


def seq_with_exponent() -> bytes:
    return signed_as_written(compact(event_object()).replace('"seq":7', '"seq":7e0'))


def duplicate_key() -> bytes:
    text = compact(event_object())
    return signed_as_written(text.replace('"worker_id":"W1"', '"worker_id":"W1","worker_id":"W2"'))


def topic() -> str:
    return topics.event_topic(GATE.site, GATE.device, "attendance")


def rows(db: Database, column: Any) -> list[Any]:
    with db.engine.connect() as conn:
        return list(conn.execute(select(column)).scalars())


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        (without_v, "unsupported_version"),
        (v_true, "unsupported_version"),
        (v_float, "unsupported_version"),
        (distance_not_canonical, "bad_signature"),
        (distance_with_exponent, "bad_signature"),
        (seq_with_exponent, "invalid_schema"),  # an integer member written as a number
        (duplicate_key, "malformed_json"),
    ],
)
def test_a_compact_payload_signed_as_written_gets_the_documented_check(
    database: Database, attack: Any, reason: str
) -> None:
    writer, published = writer_for(database, GATE)
    payload = attack()

    writer.process([Inbound(topic(), payload)])

    assert rows(database, schema.dead_letters.c.reason) == [reason]
    assert rows(database, schema.events.c.event_id) == []
    assert rows(database, schema.attendance.c.event_id) == []
    assert published == []  # nothing verified, so nothing is answered


def test_the_same_event_written_canonically_is_stored(database: Database) -> None:
    """The control: the helpers sign valid events, so the refusals above are the checks'."""
    writer, published = writer_for(database, GATE)
    payload = signed_as_written(compact(event_object()))
    writer.process([Inbound(topic(), payload)])
    assert rows(database, schema.dead_letters.c.reason) == []
    assert rows(database, schema.events.c.payload) == [payload.decode()]
    assert [a.acks[0].result for a in GATE.acks(published)] == ["stored"]


def test_layout_never_changes_the_verdict() -> None:
    """One check for every layout: the compact and the indented form of each payload agree."""
    secrets = {(GATE.site, GATE.device): GATE.secret}.get
    for make in (
        without_v,
        v_true,
        v_float,
        distance_not_canonical,
        distance_with_exponent,
        seq_with_exponent,
        duplicate_key,
    ):
        payload = make()
        spaced = payload.replace(b",", b", ").replace(b'":', b'": ')
        verdicts = []
        for form in (payload, spaced):
            try:
                decode_event(form, lambda s, d: secrets((s, d)), GATE.site, GATE.device)
                verdicts.append("accepted")
            except ProtocolError as exc:
                verdicts.append(exc.reason)
        assert verdicts[0] == verdicts[1] != "accepted", make.__name__


@pytest.mark.parametrize(
    ("stamp", "accepted"),
    [
        ("2026-11-26T07:58:03Z", True),  # Z is UTC, same as +00:00
        ("2026-11-26T07:58:03+00:00", True),
        ("2026-11-26T07:58:03.120+08:00", True),
        ("2026-11-26T07:58:03z", False),
        ("2026-11-26T07:58:03+0800", False),
        ("2026-11-26 07:58:03+08:00", False),
        ("2026-11-26T07:58+08:00", False),
        ("2026-11-26T07:58:03", False),
    ],
)
def test_date_times_are_rfc_3339_with_z_or_an_offset(stamp: str, accepted: bool) -> None:
    obj = event_object(created_at=stamp)
    payload = signed_as_written(compact(obj))
    secrets = {(GATE.site, GATE.device): GATE.secret}
    if accepted:
        env = decode_event(payload, lambda s, d: secrets.get((s, d)), GATE.site, GATE.device)
        assert env.created_at == datetime.fromisoformat(stamp)
    else:
        with pytest.raises(ProtocolError) as err:
            decode_event(payload, lambda s, d: secrets.get((s, d)), GATE.site, GATE.device)
        assert err.value.reason == "invalid_schema"
        assert "created_at" in err.value.detail


def test_an_unknown_kind_is_a_bad_topic_or_an_invalid_body(database: Database) -> None:
    writer, published = writer_for(database, GATE)
    on_unknown_topic = Inbound(
        topics.event_topic(GATE.site, GATE.device, "heartbeat"),
        signed_as_written(compact(event_object())),
    )
    obj = event_object()
    obj["body"] = {**obj["body"], "kind": "heartbeat"}
    unknown_body = Inbound(topic(), signed_as_written(compact(obj)))

    writer.process([on_unknown_topic, unknown_body])

    assert sorted(rows(database, schema.dead_letters.c.reason)) == ["bad_topic", "invalid_schema"]
    assert rows(database, schema.events.c.event_id) == []
    assert published == []


def test_client_ids_of_different_gates_never_collide() -> None:
    assert gate_client_id("north-1", "gate") != gate_client_id("north", "1-gate")
    assert gate_client_id("north-1", "gate") == "gate:north-1:gate"
    # ":" cannot occur in an id, so the id splits back one way only
    assert gate_client_id("a.b", "c-d").split(":") == ["gate", "a.b", "c-d"]
    with pytest.raises(ValueError):
        gate_client_id("north:1", "gate")
