"""Ingest's pipeline: checks in worker processes, acks that flow while the queue is full.

Real parts throughout: a real process pool (central/ingest/checkers.py), a real Mosquitto for
the consumer, SQLite and PostgreSQL for the writer.
"""

import queue
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import Gate, GateLink, writer_for
from sqlalchemy import select

from central.ingest.checkers import CheckerPool
from central.ingest.consumer import MqttConsumer
from central.ingest.validate import Inbound, Verified, validate
from central.storage import Database, schema
from central.storage.database import DeadLetter
from conftest import Mosquitto, wait_until
from wireproto import Ack, AckResult, encode_ack
from wireproto.transport import BrokerAddress


def _id(msg: Inbound) -> str:
    import json

    return str(json.loads(msg.payload)["id"])


def _as_the_writer_reads_it(result: Verified | DeadLetter) -> tuple[object, ...]:
    """Everything of a check's verdict that the writer reads."""
    if isinstance(result, DeadLetter):
        return ("dead", result.topic, result.reason, result.payload, result.event_id)
    env, s = result.envelope, result.stored
    body = env.body
    seen: tuple[object, ...] = (env.id, env.site, env.device, env.seq, env.kind, env.created_at)
    if body.kind == "attendance":
        seen += (body.worker_id, body.direction, body.captured_at)  # type: ignore[union-attr]
    if s is None:
        return ("status", *seen, body.model_dump_json(exclude={"kind"}))
    table, row = s.projection if s.projection else (None, None)
    stored = (s.event_id, s.site, s.device, s.seq, s.kind, s.created_at, s.payload, s.held)
    return ("event", *seen, *stored, table, row)


def test_worker_processes_check_exactly_as_the_writer_would(database: Database) -> None:
    g1, g2 = Gate("site-a", "gate-1"), Gate("site-b", "gate-1")
    writer, published = writer_for(database, g1, g2)
    e1, e2, e3 = g1.attendance("W1"), g1.dust(), g2.attendance("W9")
    garbage = Inbound("sitegate/v1/site-a/gate-1/events/attendance", b'{"v": 1, "oops"')
    stranger = Gate("site-c", "gate-9").attendance()  # never provisioned: unknown_device
    batch = [e1, e2, garbage, g1.status("online"), e3, stranger, e1]
    now = datetime.now(UTC)
    pool = CheckerPool(database.source, 1, min_batch=1)
    try:
        pending = pool.submit(batch, now)
        assert pending is not None
        checked = pending.results()
    finally:
        pool.close()

    here = [validate(m, writer.directory, now) for m in batch]
    assert [_as_the_writer_reads_it(r) for r in checked] == [
        _as_the_writer_reads_it(r) for r in here
    ]
    writer.process(batch, checked, now)
    with database.engine.connect() as conn:
        stored = set(conn.execute(select(schema.events.c.event_id)).scalars())
        workers = set(conn.execute(select(schema.attendance.c.worker_id)).scalars())
    assert stored == {_id(e1), _id(e2), _id(e3)} and workers == {"W1", "W9"}
    verdicts = [(r.id, r.result) for g in (g1, g2) for a in g.acks(published) for r in a.acks]
    assert verdicts == [
        (_id(e1), "stored"),
        (_id(e2), "stored"),
        (_id(e1), "duplicate"),
        (_id(e3), "stored"),
    ]


def test_a_writer_with_worker_processes_stores_and_acks_every_batch(database: Database) -> None:
    """Batches checked one ahead in the workers: all stored, each acked once, in order."""
    gate = Gate("site-a", "gate-1")
    writer, published = writer_for(database, gate)
    writer.batch_size = 20
    writer.checkers = CheckerPool(database.source, 1, min_batch=1)
    events = [gate.attendance(f"W{i}") for i in range(100)]
    for e in events:
        writer.inbox.put(e)
    writer.start()
    try:
        wait_until(lambda: sum(len(a.acks) for a in gate.acks(published)) >= 100, 60, "all acked")
    finally:
        writer.stop()
        writer.join(30)
    acked = [r.id for a in gate.acks(published) for r in a.acks]
    assert acked == [_id(e) for e in events]  # each once, in the order received
    with database.engine.connect() as conn:
        assert len(conn.execute(select(schema.events.c.event_id)).all()) == 100


def test_when_the_workers_fail_the_writer_checks_the_batch_itself(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gate = Gate("site-a", "gate-1")
    writer, published = writer_for(database, gate)
    # Workers that cannot open their database die on start: the pool breaks.
    writer.checkers = CheckerPool(str(tmp_path / "missing" / "no.db"), 1, min_batch=1)
    events = [gate.attendance(f"W{i}") for i in range(5)]
    for e in events:
        writer.inbox.put(e)
    writer.start()
    try:
        wait_until(lambda: len(published) >= 1, 60, "the batch acked")
    finally:
        writer.stop()
        writer.join(30)
    acked = [r.id for a in gate.acks(published) for r in a.acks if r.result == "stored"]
    assert sorted(acked) == sorted(_id(e) for e in events)
    # The batch went to the workers and they failed (not merely checked in the writer).
    assert "the checker processes failed" in caplog.text


def test_acks_go_out_while_a_full_queue_holds_the_network_thread(own_broker: Mosquitto) -> None:
    broker_url = own_broker.url
    """The consumer waits for room without reading, but still sends what the writer
    published: before, every ack waited until the queue had room again."""
    gate = Gate("site-a", "gate-1")
    inbox: queue.Queue[Inbound] = queue.Queue(maxsize=1)
    inbox.put(Inbound("placeholder", b""))  # full, and no writer drains it
    consumer = MqttConsumer(
        BrokerAddress.parse(broker_url), f"test-full-{id(inbox)}", inbox, shared_group=None
    )
    consumer.start()
    link = GateLink(broker_url, [gate])
    try:
        wait_until(consumer.connected.is_set, 10, "central subscribed")
        event = gate.attendance()
        link.publish(event)
        received = consumer.metrics.registry.get_sample_value
        wait_until(lambda: received("sitegate_ingest_received_total") == 1, 10, "delivery")
        # paho's network thread is now inside on_message, waiting for room in the queue.
        ack = Ack(acks=[AckResult(id=_id(event), result="stored")], at=datetime.now(UTC))
        done = threading.Event()

        def writer_thread() -> None:  # what the writer does after a commit
            consumer.publish_ack(gate.site, gate.device, encode_ack(ack, gate.secret))
            done.set()

        threading.Thread(target=writer_thread).start()
        wait_until(lambda: _id(event) in link.acked(), 10, "the ack at the gate")
        assert inbox.full() and done.is_set()
        inbox.get_nowait()  # room: the waiting message goes in
        wait_until(lambda: inbox.qsize() == 1, 10, "the message queued")
        assert inbox.get_nowait().payload == event.payload
    finally:
        link.close()
        consumer.stop()


def test_stopping_while_the_network_thread_waits_for_room_returns(own_broker: Mosquitto) -> None:
    broker_url = own_broker.url
    """stop() queues a DISCONNECT; the waiting thread must not send it from inside its
    callback (paho would run on_disconnect there and deadlock on its own lock)."""
    gate = Gate("site-a", "gate-1")
    inbox: queue.Queue[Inbound] = queue.Queue(maxsize=1)
    inbox.put(Inbound("placeholder", b""))
    consumer = MqttConsumer(
        BrokerAddress.parse(broker_url), f"test-stop-{id(inbox)}", inbox, shared_group=None
    )
    consumer.start()
    link = GateLink(broker_url, [gate])
    try:
        wait_until(consumer.connected.is_set, 10, "central subscribed")
        link.publish(gate.attendance())
        received = consumer.metrics.registry.get_sample_value
        wait_until(lambda: received("sitegate_ingest_received_total") == 1, 10, "delivery")
        stopper = threading.Thread(target=consumer.stop)
        stopper.start()
        stopper.join(15)
        assert not stopper.is_alive(), "stop() hung"
        assert inbox.qsize() == 1  # the waiting message was left to its resend
    finally:
        link.close()
