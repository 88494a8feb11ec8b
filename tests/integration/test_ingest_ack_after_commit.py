"""Nothing is acked before it is committed: central killed mid-transaction acks nothing.

A real ``sitegate-central serve`` on PostgreSQL and a real Mosquitto. The test holds an
uncommitted row with the event's id, so central's INSERT … ON CONFLICT waits inside its batch
transaction; central is then SIGKILLed there. The gate must have no ack (it keeps the event in
its outbox and resends it: tests/integration/test_faults.py restarts a killed central and
counts every event stored exactly once), and the database no event.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import Gate, GateLink, provision
from sqlalchemy import func, select, text

from central.storage import Database, schema
from conftest import Central, have_mosquitto, wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="needs the mosquitto binary")


def _stored(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.events)).scalar_one()


def _writer_waits_on_our_row(db: Database) -> bool:
    with db.engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE 'INSERT INTO events%'"
                )
            ).scalar_one()
        )


def test_central_killed_between_insert_and_commit_never_acks(
    tmp_path: Path, broker_url: str, own_postgres_url: str
) -> None:
    db = Database(own_postgres_url)
    db.upgrade()
    gate = Gate("site-k", "gate-1")
    provision(db, gate)
    event = gate.attendance("W1")
    event_id = json.loads(event.payload)["id"]
    central = Central(tmp_path / "c", broker_url, own_postgres_url, "--instance-id", "kill-1")
    central.workdir.mkdir()
    link = GateLink(broker_url, [gate])
    blocker = db.engine.connect()
    try:
        central.start()
        blocker.begin()
        now = datetime.now(UTC).isoformat()
        blocker.execute(
            schema.events.insert().values(
                event_id=event_id,
                site="other",
                device="other",
                seq=0,
                kind="attendance",
                created_at=now,
                received_at=now,
                payload="{}",
            )
        )
        link.publish(event)
        wait_until(lambda: _writer_waits_on_our_row(db), 30, "central's INSERT waiting")
        assert central.process is not None
        central.process.proc.kill()  # SIGKILL inside the batch's transaction
        central.process.proc.wait(10)
        blocker.rollback()

        # The row central inserted is gone with its transaction once PostgreSQL notices the
        # dead connection (after our rollback let the INSERT finish).
        wait_until(lambda: not _writer_waits_on_our_row(db), 30, "central's session gone")
        assert _stored(db) == 0
        assert link.acked() == {}  # the gate still holds it and will resend it
    finally:
        blocker.close()
        link.close()
        central.stop()
        db.close()
