"""The writer on both engines: one transaction per batch, then one signed ack per device."""

import json

import pytest
from factories import Gate, writer_for
from sqlalchemy import func, select

from central.ingest.validate import Inbound
from central.storage import Database, schema
from central.storage.database import StorageUnavailable
from conftest import free_port


def rows(db: Database, table: object, *cols: str) -> list[tuple[object, ...]]:
    t = table  # type: ignore[assignment]
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*[t.c[c] for c in cols]))]  # type: ignore[attr-defined]


def results(acks: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(r.id, r.result) for ack in acks for r in ack.acks]


def test_a_batch_is_stored_then_every_device_gets_one_signed_ack(database: Database) -> None:
    g1, g2 = Gate("site-a", "gate-1"), Gate("site-b", "gate-1")
    writer, published = writer_for(database, g1, g2)
    e1, e2, e3 = g1.attendance("W1"), g1.dust(), g2.attendance("W9")
    garbage = Inbound("sitegate/v1/site-a/gate-1/events/attendance", b'{"v": 1, "oops"')

    writer.process([e1, e2, garbage, e3, e1])  # e1 again: a resend inside one batch

    assert len(rows(database, schema.events, "event_id")) == 3
    assert results(g1.acks(published)) == [
        (_id(e1.payload), "stored"),
        (_id(e2.payload), "stored"),
        (_id(e1.payload), "duplicate"),
    ]
    assert results(g2.acks(published)) == [(_id(e3.payload), "stored")]
    assert len(published) == 2  # one ack message per device per batch
    assert rows(database, schema.dead_letters, "reason") == [("malformed_json",)]
    m = writer.metrics.registry.get_sample_value
    assert m("sitegate_ingest_stored_total", {"kind": "attendance"}) == 2
    assert m("sitegate_ingest_stored_total", {"kind": "dust_reading"}) == 1
    assert m("sitegate_ingest_duplicates_total") == 1
    assert m("sitegate_ingest_dead_letters_total", {"reason": "malformed_json"}) == 1
    assert m("sitegate_ingest_batch_size_count") == 1
    assert m("sitegate_ingest_lag_seconds_count") == 3


def test_a_later_resend_is_acked_as_a_duplicate_and_stored_once(database: Database) -> None:
    gate = Gate("site-a", "gate-1")
    writer, published = writer_for(database, gate)
    event = gate.attendance()

    writer.process([event])
    writer.process([event])

    assert [r for _id_, r in results(gate.acks(published))] == ["stored", "duplicate"]
    assert len(rows(database, schema.attendance, "event_id")) == 1


def test_status_updates_the_device_and_is_never_acked(database: Database) -> None:
    gate = Gate("site-a", "gate-1")
    writer, published = writer_for(database, gate)

    writer.process([gate.status("online")])

    assert published == []
    assert database.list_devices()[0]["status"]["state"] == "online"  # type: ignore[index]


def test_one_event_the_database_refuses_does_not_hold_up_the_others(database: Database) -> None:
    """PostgreSQL refuses NUL in text: that event alone is dead-lettered and left unacked."""
    gate = Gate("site-a", "gate-1")
    writer, published = writer_for(database, gate)
    good = [gate.attendance(f"W{i}") for i in range(5)]
    poison = gate.dust(sensor="pm\x00bad")
    batch = [*good[:3], poison, *good[3:]]

    writer.process(batch)

    verdicts = dict(results(gate.acks(published)))
    assert all(verdicts[_id(m.payload)] == "stored" for m in good)
    if database.dialect == "postgresql":
        assert _id(poison.payload) not in verdicts  # its gate keeps it and resends it
        ((reason, payload),) = rows(database, schema.dead_letters, "reason", "payload")
        assert (reason, payload) == ("store_failed", poison.payload)  # every byte kept
        dead = writer.metrics.registry.get_sample_value
        assert dead("sitegate_ingest_dead_letters_total", {"reason": "store_failed"}) == 1
        assert len(rows(database, schema.events, "event_id")) == 5
    else:  # SQLite stores NUL in text like any other character
        assert verdicts[_id(poison.payload)] == "stored"
        assert len(rows(database, schema.events, "event_id")) == 6


def test_nothing_is_acked_while_the_database_is_unreachable(database: Database) -> None:
    gate = Gate("site-a", "gate-1")
    writer, published = writer_for(database, gate)
    event = gate.attendance()
    writer.db = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/down")
    with pytest.raises(StorageUnavailable):
        writer.process([event])
    assert published == []

    writer.db = database  # the database is back: the same batch goes through
    writer.process([event])
    assert results(gate.acks(published)) == [(_id(event.payload), "stored")]
    with database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.events)).scalar_one() == 1
    lag = writer.metrics.registry.get_sample_value("sitegate_ingest_lag_seconds_sum")
    assert lag is not None and 60 <= lag < 3600  # created a minute before it was stored


def _id(payload: bytes) -> str:
    return str(json.loads(payload)["id"])


def test_an_old_event_is_answered_rejected_unless_it_was_stored_before(database: Database) -> None:
    """Outside the replay window: dead-lettered and rejected; a late resend of a stored id is
    only a duplicate (one outcome: acked, not dead-lettered)."""
    from datetime import UTC, datetime, timedelta

    from central.ingest.validate import Verified, validate

    gate = Gate("site-a", "gate-1")
    writer, published = writer_for(database, gate)
    never_seen = gate.attendance("W1", age=timedelta(days=40))
    stored_long_ago = gate.attendance("W2", age=timedelta(days=40))
    then = datetime.now(UTC) - timedelta(days=39)  # it arrived in time, back then
    verdict = validate(stored_long_ago, writer.directory, then)
    assert isinstance(verdict, Verified) and verdict.stored is not None
    database.store([verdict.stored], [], then)

    writer.process([never_seen, stored_long_ago])

    assert results(gate.acks(published)) == [
        (_id(never_seen.payload), "rejected"),
        (_id(stored_long_ago.payload), "duplicate"),
    ]
    assert rows(database, schema.dead_letters, "reason") == [("outside_replay_window",)]
    assert rows(database, schema.dead_letters, "payload") == [(never_seen.payload,)]
    assert [r[0] for r in rows(database, schema.attendance, "worker_id")] == ["W2"]


def test_a_signed_status_on_an_events_topic_is_not_stored_as_evidence(database: Database) -> None:
    gate = Gate("site-a", "gate-1")
    writer, published = writer_for(database, gate)
    status = gate.status()
    writer.process([Inbound("sitegate/v1/site-a/gate-1/events/status", status.payload)])
    assert rows(database, schema.events, "event_id") == []
    # "status" is no event kind: the topic alone decides (docs/protocol.md, section 10)
    assert rows(database, schema.dead_letters, "reason") == [("bad_topic",)]
    assert published == []
