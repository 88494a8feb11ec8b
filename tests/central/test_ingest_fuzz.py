"""Fuzzed payloads never crash the consumer path and all end in the dead-letter table.

Random bytes, JSON of the wrong shape and types, huge strings, deep nesting, wrong protocol
versions and well-formed envelopes with bad signatures: first straight through the writer on
both engines (many examples, fast), then through a real Mosquitto into a running central.
"""

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from factories import ZONE, Gate, GateLink, provision, writer_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from central.ingest.validate import Inbound
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from conftest import wait_until
from wireproto import new_event_id, topics

GATE = Gate("site-a", "gate-1")
TOPICS = st.sampled_from(
    [
        topics.event_topic(GATE.site, GATE.device, "attendance"),
        topics.event_topic(GATE.site, GATE.device, "dust_reading"),
        topics.event_topic(GATE.site, GATE.device, "no_such_kind"),
        topics.status_topic(GATE.site, GATE.device),
        topics.event_topic("site-b", "gate-9", "attendance"),  # an unknown device
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=30,
)


def envelope(**override: Any) -> dict[str, Any]:
    """A well-formed attendance envelope (unsigned, or with a made-up signature)."""
    at = (datetime.now(ZONE) - timedelta(minutes=1)).isoformat()
    obj: dict[str, Any] = {
        "v": 1,
        "id": new_event_id(),
        "site": GATE.site,
        "device": GATE.device,
        "seq": 1,
        "created_at": at,
        "body": {"kind": "attendance", "worker_id": "W1", "direction": "in", "captured_at": at},
        "sig": "0" * 64,
    }
    obj.update(override)
    return obj


def dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")


wrong_types = st.builds(
    lambda field, value: dumps(envelope(**{field: value})),
    st.sampled_from(["v", "id", "site", "device", "seq", "created_at", "body", "sig"]),
    JSON,
)
wrong_versions = st.sampled_from([0, 2, "1", 1.0, True, None, [1], {"v": 1}]).map(
    lambda v: dumps(envelope(v=v))
)
huge_strings = st.sampled_from(["worker_id", "site", "id"]).flatmap(
    lambda field: st.integers(1_000, 150_000).map(
        lambda n: dumps(envelope(**({"id": "x" * n} if field == "id" else {field: "y" * n})))
    )
)
deep_nesting = st.integers(100, 50_000).flatmap(
    lambda depth: st.sampled_from(
        [b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth]
    )
)
bad_signatures = st.builds(lambda seq: dumps(envelope(seq=seq)), st.integers(0, 2**63 - 1))
PAYLOADS = st.one_of(
    st.binary(max_size=3000),
    JSON.map(dumps),
    wrong_types,
    wrong_versions,
    huge_strings,
    deep_nesting,
    bad_signatures,
)


def count(db: Database, table: object) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]


def dead_lettered(db: Database) -> int:
    """Every dead letter counted (kept whole or, past the per-hour row cap, only counted)."""
    with db.engine.connect() as conn:
        c = schema.dead_letter_counts.c.count
        return int(conn.execute(select(func.coalesce(func.sum(c), 0))).scalar_one())


@pytest.fixture
def fuzz_writer(database: Database) -> tuple[Any, list[Any]]:
    """One writer for every example of a test (hypothesis runs them all in one call)."""
    return writer_for(database, GATE)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(st.tuples(TOPICS, PAYLOADS), min_size=1, max_size=4))
def test_every_fuzzed_message_is_dead_lettered(
    database: Database,
    fuzz_writer: tuple[Any, list[Any]],
    batch: list[tuple[str, bytes]],
) -> None:
    writer, published = fuzz_writer
    before = dead_lettered(database)

    writer.process([Inbound(t, p) for t, p in batch])

    assert dead_lettered(database) == before + len(batch)
    assert count(database, schema.dead_letters) <= count(database, schema.dead_letter_counts) * 10
    assert count(database, schema.events) == 0
    assert published == []


@pytest.fixture(scope="module")
def live_central(
    tmp_path_factory: pytest.TempPathFactory, broker_url: str
) -> Iterator[tuple[CentralService, GateLink]]:
    path = tmp_path_factory.mktemp("fuzz") / "central.db"
    db = Database(str(path))
    db.upgrade()
    provision(db, GATE)
    service = CentralService(
        CentralSettings(db=str(path), broker=broker_url, instance_id=f"fuzz-{os.getpid()}")
    )
    service.start()
    link = GateLink(broker_url, [GATE])
    assert service.consumer is not None
    wait_until(service.consumer.connected.is_set, 10, "central subscribed")
    yield service, link
    link.close()
    service.stop()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(topic=TOPICS, payload=PAYLOADS)
def test_fuzz_through_the_broker_leaves_central_running(
    live_central: tuple[CentralService, GateLink], topic: str, payload: bytes
) -> None:
    service, link = live_central
    before = dead_lettered(service.db)
    link.publish(Inbound(topic, payload))
    wait_until(lambda: dead_lettered(service.db) == before + 1, 10, "the dead letter")
    assert service.writer is not None and service.writer.is_alive()
    assert service.consumer is not None and service.consumer.connected.is_set()


def test_after_the_fuzz_a_real_event_still_goes_through(
    live_central: tuple[CentralService, GateLink],
) -> None:
    service, link = live_central
    event = GATE.attendance()
    link.publish(event)
    wait_until(lambda: link.acked(), 10, "the ack")
    assert list(link.acked().values()) == [["stored"]]
    assert count(service.db, schema.events) == 1
