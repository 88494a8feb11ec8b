"""The entry points that bring attendance days up to date with their events.

Days are derived data: they are recomputed from the stored events and corrections, never
edited in place, and a read never recomputes them. They are refreshed by the writers only:

* **ingest**: after a batch of attendance events commits, :func:`refresh_touched` recomputes
  just the days those events can affect (their workers' days on the event's local date and
  the day either side, since a night shift crosses midnight). So days are current as soon as
  the events are stored, and a late event reopens the closed day or month it lands in at
  once, with the reason recorded.
* **correction**: central/attendance/days.py ``correct_day`` refreshes the corrected day.
* **compute, approve**: computing or approving a payroll batch calls :func:`refresh_month`
  first, which catches anything ingest did not refresh (events stored while a refresh failed
  or before the process died, or before a project was registered for the site): the writers
  mark what they commit and clear it after their refresh (central/storage/days_pending.py),
  so the month is recomputed only when a mark survives or it was never recomputed whole.
* **close**: closing a period recomputes its days (central/attendance/closing.py), except a
  month whose days are current by the same marks.

A closed period that a recomputation changes is reopened, with the reason recorded.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from central.attendance import days as attendance_days
from central.attendance.closing import reopen_for_changes
from central.attendance.periods import month_range
from central.clock import now_iso
from central.registry.organisations import project_zone
from central.storage import Database, days_pending, schema

Changed = list[tuple[str, str]]  # (worker_id, local date YYYY-MM-DD)


def refresh_month(db: Database, project_id: str, month: str) -> Changed:
    """Bring the month's attendance days up to date; reopen closed periods they hit.

    Nothing to do when the month was refreshed whole before and every event and correction
    since was refreshed by its writer (no mark left, central/storage/days_pending.py): then a
    recomputation would change nothing, and for a large project it took as long as the payroll
    itself. Otherwise the days are recomputed from the events, the day either side of the month
    too, so that every mark dated inside the month is covered and cleared.
    """
    first, last = month_range(month)
    with db.engine.connect() as conn:
        zone = project_zone(conn, project_id)
        marks = days_pending.stale_marks(conn, project_id, month, first, last)
    if marks == []:
        return []
    stamp = now_iso()
    day = timedelta(days=1)
    changed = attendance_days.refresh(db, project_id, zone, first - day, last + day)
    reopen_for_changes(db, project_id, changed, f"{len(changed)} attendance day(s) changed")
    inside = [(i, d) for i, d in marks or [] if first.isoformat() <= d <= last.isoformat()]
    with db.begin() as conn:
        days_pending.settle(conn, project_id, month, inside, stamp)
    return changed


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Each day widened by one either side, merged into contiguous ``(first, last)`` runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        first, last = day - timedelta(days=1), day + timedelta(days=1)
        if runs and first <= runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], max(runs[-1][1], last))
        else:
            runs.append((first, last))
    return runs


def refresh_touched(
    db: Database, touched: Iterable[tuple[str, str, str]], token: str | None = None
) -> dict[str, Changed]:
    """Refresh the days that newly stored events ``(site, worker, local date)`` can affect:
    only those workers' days, so a busy morning's batches never recompute a whole site.

    Sites that are not registered projects are skipped (ingest stores their events; there
    are no days to derive until the project exists). ``token``: the marks the store wrote
    for these events (central/storage/days_pending.py), cleared once every day is refreshed.
    Returns project → the days that changed.
    """
    by_site: dict[str, set[date]] = defaultdict(set)
    workers_at: dict[str, set[str]] = defaultdict(set)
    for site, worker_id, local_date in touched:
        by_site[site].add(date.fromisoformat(local_date))
        workers_at[site].add(worker_id)
    if not by_site:
        return {}
    p = schema.projects.c
    with db.engine.connect() as conn:
        zones = dict(conn.execute(select(p.id, p.timezone).where(p.id.in_(sorted(by_site)))).all())
    out: dict[str, Changed] = {}
    for project_id, timezone in sorted(zones.items()):
        zone = ZoneInfo(timezone)
        changed: Changed = []
        workers = sorted(workers_at[project_id])
        for first, last in _runs(by_site[project_id]):
            changed += attendance_days.refresh(db, project_id, zone, first, last, workers)
        if changed:
            reason = f"{len(changed)} attendance day(s) changed by newly received events"
            reopen_for_changes(db, project_id, changed, reason)
            out[project_id] = sorted(changed)
    if token is not None:
        with db.begin() as conn:
            days_pending.clear(conn, token)
    return out
