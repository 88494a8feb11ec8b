"""Attendance that changes after its month's payroll left the draft: flagged, never silently paid.

Ingest refreshes the days its events touch (central/attendance/refresh.py); a change to a
month whose batch is approved, submitted or paid cannot alter that batch any more, so it
becomes a warning for the contractor and the supervisor, one per changed worker-day.
"""

import logging
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, select

from central.attendance.periods import month_of
from central.attendance.refresh import Changed, refresh_touched
from central.storage import Database, days_pending, schema
from central.storage.database import StoredEvent
from central.warnings.store import raise_warning

log = logging.getLogger(__name__)


def flag_changes(conn: Connection, project_id: str, changed: Changed) -> int:
    """Open a warning for each changed day whose month's batch is past draft; count new ones."""
    if not changed:
        return 0
    b = schema.payroll_batches.c
    months = sorted({month_of(date.fromisoformat(day)) for _w, day in changed})
    signed = {
        month: batch_id
        for batch_id, month in conn.execute(
            select(b.id, b.month).where(
                b.project_id == project_id, b.month.in_(months), b.state != "draft"
            )
        )
    }
    new = 0
    for worker_id, day in changed:
        month = month_of(date.fromisoformat(day))
        if month not in signed:
            continue
        batch_id = signed[month]
        new += raise_warning(
            conn,
            key=f"late_attendance:{batch_id}:{worker_id}:{day}",
            kind="attendance_changed_after_approval",
            severity="high",
            project_id=project_id,
            worker_id=worker_id,
            params={"worker": worker_id, "day": day, "month": month},
            evidence={"batch_id": batch_id, "worker_id": worker_id, "day": day},
        )
    return new


def after_ingest(db: Database, stored: Sequence[StoredEvent]) -> None:
    """Called by the ingest writer after a batch committed, with the events it stored anew."""
    touched = set()
    ids = []
    for event in stored:
        if event.projection is None or event.projection[0] is not schema.attendance:
            continue
        if getattr(event, "held", None) is not None:  # held back: not attendance (yet)
            continue
        row = event.projection[1]
        touched.add((str(row["site"]), str(row["worker_id"]), str(row["local_date"])))
        ids.append(event.event_id)
    if not ids:
        return
    for project_id, changed in refresh_touched(db, touched, days_pending.token_of(ids)).items():
        with db.begin() as conn:
            flag_changes(conn, project_id, changed)
