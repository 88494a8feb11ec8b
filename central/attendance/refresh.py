"""The one entry point that brings a project-month's attendance days up to date with its events.

Days are derived data: they are recomputed from the stored events and corrections, never
edited in place. Whoever needs a month's days to be current calls :func:`refresh_month`;
a closed period that the recomputation changes is reopened, with the reason recorded.
"""

from central.attendance import days as attendance_days
from central.attendance.closing import reopen_for_changes
from central.attendance.periods import month_range
from central.registry.organisations import project_zone
from central.storage import Database


def refresh_month(db: Database, project_id: str, month: str) -> list[tuple[str, str]]:
    """Recompute the month's attendance days from the events; reopen closed periods they hit."""
    first, last = month_range(month)
    with db.engine.connect() as conn:
        zone = project_zone(conn, project_id)
    changed = attendance_days.refresh(db, project_id, zone, first, last)
    reopen_for_changes(db, project_id, changed, f"{len(changed)} attendance day(s) changed")
    return changed
