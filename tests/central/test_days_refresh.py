"""When attendance days are refreshed: by ingest and by the writers, never by a read.

central/attendance/refresh.py states the rule; here a real SQLite file, events signed and
stored through the ingest path, and the API in-process.
"""

import queue
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from factories import (
    SHANGHAI,
    local,
    new_db,
    punch_payload,
    registered_project,
    store_punches,
    stored_without_refresh,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from central.api.app import create_app
from central.attendance import closing
from central.ingest.devices import DeviceDirectory
from central.ingest.validate import Inbound
from central.ingest.writer import IngestWriter
from central.payroll import batches
from central.registry.sealing import Sealer
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from central.wages.rules import PayTerms
from central.warnings.late_attendance import after_ingest
from conftest import api_headers

SITE = "site-a"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Database, Sealer, str]]:
    db, sealer = new_db(tmp_path)
    daily = PayTerms(pay_kind="daily", rate_fen=36000)
    registered_project(db, sealer, SITE, {"W1": daily, "W2": daily})
    yield db, sealer, str(tmp_path / "central.db")
    db.close()


def snapshot(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every stored day and every closing, as they are."""
    d, c = schema.attendance_days.c, schema.period_closings.c
    with db.engine.connect() as conn:
        days = conn.execute(select(schema.attendance_days).order_by(d.worker_id, d.local_date))
        closings = conn.execute(select(schema.period_closings).order_by(c.kind, c.period))
        return [tuple(r) for r in days], [tuple(r) for r in closings]


def day(db: Database, worker: str, local_date: str) -> dict[str, object] | None:
    d = schema.attendance_days.c
    with db.engine.connect() as conn:
        row = conn.execute(
            select(schema.attendance_days).where(
                d.project_id == SITE, d.worker_id == worker, d.local_date == local_date
            )
        ).first()
    return dict(row._mapping) if row else None


def test_days_are_current_as_soon_as_ingest_stores_the_events(world) -> None:  # type: ignore[no-untyped-def]
    db, _sealer, _url = world
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])
    assert day(db, "W1", "2025-06-10")["status"] == "missing_punch"  # type: ignore[index]
    store_punches(db, SITE, [("W1", "out", local("2025-06-10 17:00"))])
    assert day(db, "W1", "2025-06-10")["worked_minutes"] == 540  # type: ignore[index]


def test_ingest_refreshes_only_the_workers_it_stored_events_of(world) -> None:  # type: ignore[no-untyped-def]
    """Cheap on a busy site: one worker's check-in does not recompute everyone's day."""
    db, _sealer, _url = world
    stored_without_refresh(db, SITE, ("W2", "in", "2025-06-10 07:55"))
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])
    assert day(db, "W1", "2025-06-10") is not None
    assert day(db, "W2", "2025-06-10") is None  # refreshed by the next writer that needs it
    store_punches(db, SITE, [("W2", "out", local("2025-06-10 17:00"))])
    assert day(db, "W2", "2025-06-10")["worked_minutes"] == 545  # type: ignore[index]


def test_the_writer_refreshes_the_days_its_batch_touched(world) -> None:  # type: ignore[no-untyped-def]
    db, _sealer, _url = world
    directory = DeviceDirectory(db)
    directory.reload()
    acks: list[tuple[str, str, bytes]] = []
    writer = IngestWriter(
        db,
        queue.Queue(),
        directory,
        lambda s, d, p: acks.append((s, d, p)),
        after_store=partial(after_ingest, db),
    )
    # Yesterday's shift in one batch (recent times: ingest holds implausibly old ones back).
    today = datetime.now(SHANGHAI).date()
    yesterday = today - timedelta(days=1)
    messages = [
        Inbound(*punch_payload(SITE, "gate-1", "W1", "in", local(f"{yesterday} 00:30"))),
        Inbound(*punch_payload(SITE, "gate-1", "W1", "out", local(f"{yesterday} 08:30"))),
    ]
    writer.process(messages)
    assert len(acks) >= 1
    assert day(db, "W1", yesterday.isoformat())["worked_minutes"] == 480  # type: ignore[index]
    assert day(db, "W1", today.isoformat()) is None


def test_a_read_after_late_events_writes_nothing_and_reopens_nothing(world) -> None:  # type: ignore[no-untyped-def]
    db, _sealer, url = world
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])
    closing.close(db, SITE, "month", "2025-06", "boss")
    stored_without_refresh(db, SITE, ("W1", "out", "2025-06-10 17:00"))
    before = snapshot(db)
    assert day(db, "W1", "2025-06-10")["worked_minutes"] == 0  # type: ignore[index]

    headers = api_headers(url, "manager", "site_manager", project_id=SITE)
    worker = api_headers(url, "worker-w1", "worker", worker_id="W1")
    service = CentralService(CentralSettings(db=url))
    with TestClient(create_app(service, manage_service=False)) as client:
        project_days = client.get(
            f"/api/v1/projects/{SITE}/attendance-days",
            params={"month": "2025-06"},
            headers=headers,
        )
        own_days = client.get(
            "/api/v1/me/attendance-days", params={"month": "2025-06"}, headers=worker
        )
    service.db.close()
    assert project_days.status_code == own_days.status_code == 200
    assert [d["worked_minutes"] for d in project_days.json()] == [0]  # as stored
    assert own_days.json() == project_days.json()
    assert snapshot(db) == before
    with db.engine.connect() as conn:
        assert closing.is_closed(conn, SITE, "month", "2025-06")

    # A writer brings the days up to date: computing the batch folds the event in and, since
    # it changed a closed month, reopens it (knowingly, with the reason recorded).
    batches.compute(db, SITE, "2025-06", "boss")
    assert day(db, "W1", "2025-06-10")["worked_minutes"] == 540  # type: ignore[index]
    with db.engine.connect() as conn:
        assert not closing.is_closed(conn, SITE, "month", "2025-06")
        (reason,) = conn.execute(select(schema.period_closings.c.reopen_reason)).scalars()
    assert "1 attendance day(s) changed" in reason


def test_a_late_event_after_approval_is_flagged_on_ingest(world) -> None:  # type: ignore[no-untyped-def]
    db, _sealer, _url = world
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])
    batch = batches.compute(db, SITE, "2025-06", "boss")
    closing.close(db, SITE, "month", "2025-06", "boss")
    batches.approve(db, int(batch["id"]), "boss")  # type: ignore[call-overload]
    store_punches(db, SITE, [("W1", "out", local("2025-06-10 17:00"))])
    w = schema.wage_warnings.c
    with db.engine.connect() as conn:
        kinds = list(conn.execute(select(w.kind, w.subject)))
        (line,) = batches.lines(conn, int(batch["id"]))  # type: ignore[call-overload]
    assert (
        "attendance_changed_after_approval",
        "W1's 2025-06-10 changed after the 2025-06 payroll was approved",
    ) in kinds
    assert line["worked_minutes"] == 0  # the signed batch is not silently changed
