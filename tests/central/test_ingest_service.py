"""Central's ingest as one service against a real Mosquitto: backpressure, /metrics, /healthz."""

import os
import sqlite3
from pathlib import Path

from db_fixtures import PG_ADMIN_URL
from factories import Gate, GateLink, provision
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import func, make_url, select

from central.api.app import create_app
from central.ingest.validate import Inbound
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from conftest import Mosquitto, wait_until


def service_for(db: str, broker: str, **settings: object) -> CentralService:
    return CentralService(
        CentralSettings(
            db=db, broker=broker, instance_id=f"test-{os.getpid()}-{id(db)}", **settings
        )  # type: ignore[arg-type]
    )


def stored_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.events)).scalar_one()


def test_a_stalled_writer_slows_the_consumer_instead_of_growing_memory(
    tmp_path: Path, broker_url: str
) -> None:
    path = tmp_path / "central.db"
    db = Database(str(path))
    db.upgrade()
    gate = Gate("site-a", "gate-1")
    provision(db, gate)
    service = service_for(str(path), broker_url, queue_size=20, batch_size=10)
    service.start()
    link = GateLink(broker_url, [gate])
    # Another connection holds SQLite's write lock: every commit of the writer waits.
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        assert service.consumer is not None and service.writer is not None
        wait_until(service.consumer.connected.is_set, 10, "central subscribed")
        events = [gate.attendance(f"W{i}") for i in range(300)]
        link.publish(*events)  # the broker has all 300 (PUBACK for each)

        inbox = service.writer.inbox
        wait_until(inbox.full, 20, "the ingest queue to fill")
        received = service.metrics.registry.get_sample_value("sitegate_ingest_received_total")
        # Queue (20) + the batch the writer holds (<= 10) + the one put that blocks: the other
        # ~270 wait in the broker, not in central's memory.
        assert received is not None and 20 < received <= 31
        assert stored_count(db) == 0 and link.acked() == {}

        lock.execute("ROLLBACK")  # the database is writable again: everything drains
        wait_until(lambda: len(link.acked()) == 300, 60, "all 300 events acked")
        assert stored_count(db) == 300
        assert all(v == ["stored"] for v in link.acked().values())
        assert inbox.qsize() == 0
    finally:
        lock.close()
        link.close()
        service.stop()


def test_metrics_count_what_ingest_did_and_health_follows_the_broker(
    tmp_path: Path, own_broker: Mosquitto
) -> None:
    path = str(tmp_path / "central.db")
    db = Database(path)
    db.upgrade()
    gate = Gate("site-a", "gate-1")
    provision(db, gate)
    service = service_for(path, own_broker.url)
    # /metrics answers loopback clients (and token holders) only: come from 127.0.0.1
    with TestClient(create_app(service), client=("127.0.0.1", 50000)) as client:
        wait_until(lambda: client.get("/healthz").status_code == 200, 20, "healthy")
        link = GateLink(own_broker.url, [gate])
        event = gate.attendance()
        link.publish(event, event, gate.dust(), gate.status())
        link.publish(Inbound(event.topic, b"\xff\xfe not json"))
        wait_until(lambda: len(link.acked()) == 2, 20, "two events acked")

        def metric(line: str) -> bool:
            return line in client.get("/metrics").text.splitlines()

        wait_until(lambda: metric("sitegate_ingest_received_total 5.0"), 10, "received 5")
        assert metric('sitegate_ingest_stored_total{kind="attendance"} 1.0')
        assert metric('sitegate_ingest_stored_total{kind="dust_reading"} 1.0')
        assert metric("sitegate_ingest_duplicates_total 1.0")
        assert metric('sitegate_ingest_dead_letters_total{reason="malformed_json"} 1.0')
        assert metric("sitegate_ingest_status_updates_total 1.0")
        assert metric("sitegate_ingest_queue_depth 0.0")
        assert metric("sitegate_ingest_queue_capacity 5000.0")
        assert metric("sitegate_broker_connected 1.0")
        assert "sitegate_ingest_lag_seconds_bucket" in client.get("/metrics").text
        assert "sitegate_ingest_batch_size_bucket" in client.get("/metrics").text
        link.close()

        own_broker.stop()
        wait_until(lambda: client.get("/healthz").status_code == 503, 30, "503 without a broker")
        body = client.get("/healthz").json()
        assert body["broker"] == "down" and body["database"] == "ok"
        assert metric("sitegate_broker_connected 0.0")

        own_broker.start()  # same port: paho reconnects and resubscribes by itself
        wait_until(lambda: client.get("/healthz").status_code == 200, 60, "healthy again")


def test_health_fails_when_postgresql_is_gone(own_postgres_url: str, broker_url: str) -> None:
    import psycopg

    name = make_url(own_postgres_url).database
    with TestClient(create_app(service_for(own_postgres_url, broker_url))) as client:
        wait_until(lambda: client.get("/healthz").status_code == 200, 20, "healthy")
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"].startswith("error: ")
        assert response.json()["broker"] == "ok"
