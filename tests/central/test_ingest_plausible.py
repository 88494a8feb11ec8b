"""Signed attendance that cannot be believed is kept as evidence but never counted.

Implausible capture times (years 0001, 2099, 9999; weeks old; after the envelope was made)
and workers nobody registered at a registered project: the event is stored and acked
``stored`` (the gate may delete it, central has it), a ``held_events`` row names the reason
for the clerk, and no attendance row is written, so no attendance day or wage counts it.
"""

from datetime import datetime, timedelta
from pathlib import Path

from factories import ZONE, Gate, new_db, registered_project, writer_for
from fastapi.testclient import TestClient
from sqlalchemy import select

from central.api.app import create_app
from central.attendance.days import compute
from central.ingest.validate import Inbound
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from conftest import api_headers
from wireproto import AttendanceBody, Envelope, encode_event, new_event_id, topics

GATE = Gate("site-a", "gate-1")


def punch(worker: str, captured: datetime, created: datetime | None = None) -> Inbound:
    GATE.seq += 1
    env = Envelope(
        id=new_event_id(),
        site=GATE.site,
        device=GATE.device,
        seq=GATE.seq,
        created_at=created or datetime.now(ZONE),
        body=AttendanceBody(worker_id=worker, direction="in", captured_at=captured),  # type: ignore[arg-type]
    )
    return Inbound(
        topics.event_topic(GATE.site, GATE.device, "attendance"), encode_event(env, GATE.secret)
    )


def held(db: Database) -> dict[str, str]:
    h = schema.held_events.c
    with db.engine.connect() as conn:
        return dict(conn.execute(select(h.worker_id, h.reason)).all())  # type: ignore[arg-type]


def counted(db: Database) -> list[str]:
    a = schema.attendance.c
    with db.engine.connect() as conn:
        return sorted(conn.execute(select(a.worker_id)).scalars())


def stored(db: Database) -> int:
    with db.engine.connect() as conn:
        return len(conn.execute(select(schema.events.c.event_id)).all())


def test_implausible_capture_times_are_held_not_counted(database: Database) -> None:
    writer, published = writer_for(database, GATE)
    now = datetime.now(ZONE)
    batch = [
        punch("Y0001", datetime(1, 1, 1, 8, 0, tzinfo=ZONE)),
        punch("Y2099", datetime(2099, 6, 1, 8, 0, tzinfo=ZONE)),
        punch("Y9999", datetime(9999, 12, 31, 23, 59, tzinfo=ZONE)),
        punch("WEEKS", now - timedelta(days=36)),  # the envelope is new, the capture is not
        punch("AHEAD", now + timedelta(minutes=11)),
        punch("AFTER", now - timedelta(minutes=30), created=now - timedelta(minutes=40)),
        punch("FINE1", now - timedelta(days=34)),  # inside the window: a gate's long outage
        punch("FINE2", now + timedelta(minutes=5), created=now + timedelta(minutes=4)),
    ]

    writer.process(batch)

    assert held(database) == {
        w: "implausible_time" for w in ("Y0001", "Y2099", "Y9999", "WEEKS", "AHEAD", "AFTER")
    }
    assert counted(database) == ["FINE1", "FINE2"]
    assert stored(database) == len(batch)  # every one kept as evidence
    assert [r.result for a in GATE.acks(published) for r in a.acks] == ["stored"] * len(batch)


def test_unknown_workers_at_a_registered_project_are_held_and_never_counted(
    tmp_path: Path,
) -> None:
    db, sealer = new_db(tmp_path)
    registered_project(db, sealer, "site-a", gates=())
    writer, published = writer_for(db, GATE)
    at = datetime.now(ZONE) - timedelta(minutes=5)

    writer.process([punch("W1", at), punch("GHOST", at)])

    assert held(db) == {"GHOST": "unknown_worker"}
    assert counted(db) == ["W1"]
    assert stored(db) == 2
    assert [r.result for a in GATE.acks(published) for r in a.acks] == ["stored", "stored"]
    with db.engine.connect() as conn:
        days = compute(conn, "site-a", ZONE, at.date(), at.date())
    assert {worker for worker, _day in days} == {"W1"}


def test_sites_without_a_registered_project_are_not_judged_by_roster(database: Database) -> None:
    """A gate used for attendance only (no project registered for its site) counts as before."""
    writer, _ = writer_for(database, GATE)
    writer.process([punch("ANYONE", datetime.now(ZONE) - timedelta(minutes=1))])
    assert held(database) == {}
    assert counted(database) == ["ANYONE"]


def test_a_clerk_sees_held_events_with_their_reason(tmp_path: Path) -> None:
    db, sealer = new_db(tmp_path)
    registered_project(db, sealer, "site-a", gates=())
    writer, _ = writer_for(db, GATE)
    writer.process(
        [punch("GHOST", datetime.now(ZONE)), punch("W1", datetime(2099, 1, 1, tzinfo=ZONE))]
    )
    path = str(tmp_path / "central.db")
    service = CentralService(CentralSettings(db=path, broker="mqtt://127.0.0.1:1"))
    with TestClient(create_app(service, manage_service=False)) as client:
        resp = client.get("/api/v1/held-events", headers=api_headers(path))
        assert resp.status_code == 200
        got = {(r["worker_id"], r["reason"]) for r in resp.json()}
        assert got == {("GHOST", "unknown_worker"), ("W1", "implausible_time")}
        only = client.get(
            "/api/v1/held-events", params={"reason": "unknown_worker"}, headers=api_headers(path)
        ).json()
        assert [r["worker_id"] for r in only] == ["GHOST"]
        assert "no worker GHOST" in only[0]["detail"]
        worker_view = client.get(
            "/api/v1/held-events",
            headers=api_headers(path, "worker-w1", "worker", worker_id="W1"),
        )
        assert worker_view.status_code == 403
