"""Attendance days: one record per worker per project per local date, rebuilt from events.

The stored events are the evidence and are never changed; a day is a *derived* record that
can always be recomputed from them (plus the manual corrections, which are kept in their own
append-only log). That is what makes late events safe: a gate that was offline for days
delivers them, :func:`refresh` recomputes the affected days, and the caller (payroll,
closing) learns exactly which days changed.

Pairing rules:

* an ``in`` opens an interval, the next ``out`` closes it; the interval belongs to the local
  date of its ``in`` (a night shift that crosses midnight belongs to the day it started);
* a second ``in`` within ``duplicate_window`` of the first (two gates, one entry) is the
  same entry; a later one means the earlier ``in`` never got its ``out`` (``missing_out``);
* an ``out`` with no open ``in`` (or further than ``max_shift`` from it) is ``missing_in``,
  unless it repeats the previous ``out`` within ``duplicate_window``;
* worked time is the sum of the closed intervals, rounded down to the minute; the intervals
  themselves are kept with the day, because the premium of each minute follows the calendar
  date it was worked on (central/wages/timeline.py).
"""

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, select, text

from central.attendance import days_sql
from central.clock import now_iso
from central.errors import InvalidInput
from central.storage import Database, days_pending, schema

MAX_SHIFT = timedelta(hours=16)
DUPLICATE_WINDOW = timedelta(minutes=10)
FLAG_MISSING_IN = "missing_in"
FLAG_MISSING_OUT = "missing_out"
FLAG_CORRECTED = "corrected"


@dataclass(frozen=True, slots=True)
class Punch:
    """One attendance event as the pairing needs it."""

    at: datetime  # aware
    direction: str  # in | out
    event_id: str


@dataclass(slots=True)
class Day:
    """A worker's day as computed (before it becomes a row)."""

    local_date: date
    first_in: datetime | None = None
    last_out: datetime | None = None
    worked_seconds: int = 0
    event_ids: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)

    @property
    def worked_minutes(self) -> int:
        return self.worked_seconds // 60


def build_days(
    punches: Iterable[Punch],
    zone: tzinfo,
    *,
    max_shift: timedelta = MAX_SHIFT,
    duplicate_window: timedelta = DUPLICATE_WINDOW,
) -> dict[date, Day]:
    """Pair one worker's punches (any order) into days in ``zone``."""
    days: dict[date, Day] = {}

    def day_of(moment: datetime) -> Day:
        local = moment.astimezone(zone).date()
        found = days.get(local)
        if found is None:
            found = days[local] = Day(local)
        return found

    open_in: Punch | None = None
    last_out: Punch | None = None
    for p in sorted(punches, key=lambda p: (p.at, p.event_id)):
        if p.direction == "in":
            if open_in is not None:
                if p.at - open_in.at <= duplicate_window:
                    day_of(open_in.at).event_ids.append(p.event_id)
                    continue
                day_of(open_in.at).flags.add(FLAG_MISSING_OUT)
            open_in = p
            day = day_of(p.at)
            day.event_ids.append(p.event_id)
            if day.first_in is None or p.at < day.first_in:
                day.first_in = p.at
            continue
        if open_in is not None and p.at - open_in.at <= max_shift:
            day = day_of(open_in.at)
            day.event_ids.append(p.event_id)
            day.worked_seconds += int((p.at - open_in.at).total_seconds())
            day.intervals.append((open_in.at, p.at))
            if day.last_out is None or p.at > day.last_out:
                day.last_out = p.at
            open_in, last_out = None, p
            continue
        if open_in is not None:  # the open entry is too old to be this exit's
            day_of(open_in.at).flags.add(FLAG_MISSING_OUT)
            open_in = None
        if last_out is not None and p.at - last_out.at <= duplicate_window:
            day_of(last_out.at).event_ids.append(p.event_id)
            continue
        day = day_of(p.at)
        day.event_ids.append(p.event_id)
        day.flags.add(FLAG_MISSING_IN)
    if open_in is not None:
        day_of(open_in.at).flags.add(FLAG_MISSING_OUT)
    return days


@dataclass(frozen=True, slots=True)
class Correction:
    """What authorised staff set a day to; ``None`` times keep the computed ones."""

    first_in: datetime | None
    last_out: datetime | None
    worked_minutes: int


def _row(project_id: str, worker_id: str, day: Day, zone: tzinfo, stamp: str) -> dict[str, object]:
    def iso(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat() if moment else None

    flags = sorted(day.flags)
    # Kept only when work ran past midnight: otherwise every minute is on the day's date.
    crossing = any(b.astimezone(zone).date() > day.local_date for _, b in day.intervals)
    intervals = [[iso(a), iso(b)] for a, b in sorted(day.intervals)] if crossing else []
    if FLAG_CORRECTED in day.flags:
        status = "corrected"
    else:
        status = "missing_punch" if flags else "complete"
    return {
        "project_id": project_id,
        "worker_id": worker_id,
        "local_date": day.local_date.isoformat(),
        "first_in": iso(day.first_in),
        "last_out": iso(day.last_out),
        "worked_minutes": day.worked_minutes,
        "event_count": len(day.event_ids),
        "flags": ",".join(flags),
        "status": status,
        "computed_at": stamp,
        "intervals": json.dumps(intervals) if intervals else None,
    }


def load_punches(
    conn: Connection,
    project_id: str,
    date_from: date,
    date_to: date,
    worker_ids: Sequence[str] | None = None,
) -> dict[str, list[Punch]]:
    """Events of the range plus one day either side (night shifts cross the edges)."""
    a = schema.attendance.c
    q = select(a.worker_id, a.captured_at, a.direction, a.event_id).where(
        a.site == project_id,
        a.local_date >= (date_from - timedelta(days=1)).isoformat(),
        a.local_date <= (date_to + timedelta(days=1)).isoformat(),
    )
    if worker_ids is not None:  # one JSON parameter, whatever the count
        where = days_sql.worker_filter("worker_id", conn.dialect.name)
        q = q.where(text(where).bindparams(workers=json.dumps(list(worker_ids))))
    punches: dict[str, list[Punch]] = defaultdict(list)
    for worker_id, captured_at, direction, event_id in conn.execute(q):
        punches[worker_id].append(Punch(datetime.fromisoformat(captured_at), direction, event_id))
    return punches


def latest_corrections(
    conn: Connection, project_id: str, date_from: date, date_to: date
) -> dict[tuple[str, str], Correction]:
    c = schema.attendance_corrections.c
    q = (
        select(c.worker_id, c.local_date, c.after)
        .where(
            c.project_id == project_id,
            c.local_date >= date_from.isoformat(),
            c.local_date <= date_to.isoformat(),
        )
        .order_by(c.id)
    )
    found: dict[tuple[str, str], Correction] = {}
    for worker_id, local_date, after in conn.execute(q):
        data = json.loads(after)
        found[(worker_id, local_date)] = Correction(
            datetime.fromisoformat(data["first_in"]) if data.get("first_in") else None,
            datetime.fromisoformat(data["last_out"]) if data.get("last_out") else None,
            int(data["worked_minutes"]),
        )
    return found


def compute(
    conn: Connection,
    project_id: str,
    zone: tzinfo,
    date_from: date,
    date_to: date,
    workers: Sequence[str] | None = None,
    *,
    stamp: str | None = None,
) -> dict[tuple[str, str], dict[str, object]]:
    """Every day row of the range (of ``workers``, or everyone) as it should be now: events,
    then corrections on top."""
    stamp = stamp or now_iso(zone)
    rows: dict[tuple[str, str], dict[str, object]] = {}
    punches_of = load_punches(conn, project_id, date_from, date_to, workers)
    days_by_worker: dict[str, dict[date, Day]] = {
        worker_id: build_days(punches, zone) for worker_id, punches in punches_of.items()
    }
    only = None if workers is None else set(workers)
    for (worker_id, local), fix in latest_corrections(conn, project_id, date_from, date_to).items():
        if only is not None and worker_id not in only:
            continue
        d = date.fromisoformat(local)
        day = days_by_worker.setdefault(worker_id, {}).setdefault(d, Day(d))
        day.first_in = fix.first_in or day.first_in
        day.last_out = fix.last_out or day.last_out
        day.worked_seconds = fix.worked_minutes * 60
        # The corrected minutes run from the corrected entry time when there is one, so
        # payroll can tell which calendar dates they fell on; otherwise all on this date.
        start = fix.first_in or day.first_in
        day.intervals = (
            [(start, start + timedelta(minutes=fix.worked_minutes))]
            if start and fix.worked_minutes
            else []
        )
        day.flags.add(FLAG_CORRECTED)
    for worker_id, days in days_by_worker.items():
        for d, day in days.items():
            if date_from <= d <= date_to:
                rows[(worker_id, d.isoformat())] = _row(project_id, worker_id, day, zone, stamp)
    return rows


def refresh(
    db: Database,
    project_id: str,
    zone: tzinfo,
    date_from: date,
    date_to: date,
    workers: Sequence[str] | None = None,
) -> list[tuple[str, str]]:
    """Bring the stored days of the range up to date; return the (worker, date) that changed.

    Idempotent and cheap to call often: unchanged days are not written. ``workers`` limits it
    to those workers' days (what a batch of new events can touch). The database pairs the
    regular workers' punches itself (central/attendance/days_sql.py); :func:`compute` makes
    the days of everyone else.
    """
    stamp = now_iso(zone)
    return days_sql.refresh(
        db,
        project_id,
        zone,
        date_from,
        date_to,
        workers,
        max_shift=MAX_SHIFT,
        stamp=stamp,
        fallback=lambda conn, some: compute(
            conn, project_id, zone, date_from, date_to, some, stamp=stamp
        ),
    )


def day_row(
    conn: Connection, project_id: str, worker_id: str, day: date
) -> dict[str, object] | None:
    t = schema.attendance_days.c
    row = conn.execute(
        select(schema.attendance_days).where(
            and_(
                t.project_id == project_id,
                t.worker_id == worker_id,
                t.local_date == day.isoformat(),
            )
        )
    ).first()
    return dict(row._mapping) if row else None


def correct_day(
    db: Database,
    project_id: str,
    zone: ZoneInfo,
    worker_id: str,
    day: date,
    *,
    worked_minutes: int,
    reason: str,
    by_user: str,
    first_in: datetime | None = None,
    last_out: datetime | None = None,
) -> dict[str, object]:
    """Record a manual correction (append-only, with before and after) and apply it."""
    if not reason.strip():
        raise InvalidInput("a correction needs a reason")
    if not 0 <= worked_minutes <= 24 * 60:
        raise InvalidInput("worked minutes must be between 0 and 1440")
    refresh(db, project_id, zone, day, day)
    with db.begin() as conn:
        before = day_row(conn, project_id, worker_id, day) or {}
        after = {
            "first_in": first_in.isoformat() if first_in else before.get("first_in"),
            "last_out": last_out.isoformat() if last_out else before.get("last_out"),
            "worked_minutes": worked_minutes,
        }
        kept = ("first_in", "last_out", "worked_minutes", "flags", "status")
        conn.execute(
            schema.attendance_corrections.insert().values(
                project_id=project_id,
                worker_id=worker_id,
                local_date=day.isoformat(),
                before=json.dumps({k: before.get(k) for k in kept}),
                after=json.dumps(after),
                reason=reason.strip()[:500],
                by_user=by_user,
                at=now_iso(zone),
            )
        )
        token = f"correction:{uuid.uuid4().hex}"
        days_pending.mark(conn, token, [(project_id, day.isoformat())])  # until refreshed
    refresh(db, project_id, zone, day, day)
    with db.begin() as conn:
        days_pending.clear(conn, token)
    with db.engine.connect() as conn:
        row = day_row(conn, project_id, worker_id, day)
    assert row is not None
    return row


def worker_days(
    conn: Connection, worker_id: str, first: date, last: date
) -> list[dict[str, object]]:
    """One worker's attendance days in ``first..last`` (every project), by date then project:
    what the worker's own view and the evidence statement both show."""
    d = schema.attendance_days.c
    rows = conn.execute(
        select(schema.attendance_days)
        .where(
            d.worker_id == worker_id,
            d.local_date >= first.isoformat(),
            d.local_date <= last.isoformat(),
        )
        .order_by(d.local_date, d.project_id)
    )
    return [dict(r._mapping) for r in rows]
