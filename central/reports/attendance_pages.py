"""考勤管理 for supervisors: per project and day who was on site, for how long, which days are
flagged and which gates were silent; a worker's month.

Each function returns a SELECT (not rows) cut to the caller's projects (``projects``: the ids
from central/auth/scope.py, None for all), so the console's table component can page, sort
and filter it in the database and ``/api/v1/attendance/project-days`` and ``…/worker-days``
run the very same query: the page and the API cannot disagree. The rows come from
``attendance_days``, which ingest keeps current (central/attendance/refresh.py); reading them
never recomputes anything.

A gate is *silent* for a day when it has not been heard past the end of that day (its
horizon, central/attendance/closing.py): the day's figures may still grow when the gate's
outbox drains. For today, when the day has not ended, a gate is silent once it has been quiet
for :data:`SILENT_AFTER`.
"""

from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, Integer, Select, case, func, select

from central.attendance.closing import gate_horizon
from central.registry.organisations import project_gates, project_zone
from central.storage import schema
from central.storage.project_scope import in_scope

#: How long a gate may be quiet before today's row names it silent.
SILENT_AFTER = timedelta(minutes=30)

_D = schema.attendance_days.c
#: A day with anything to look at: a missing punch, a correction.
FLAGGED = _D.flags != ""


class ProjectDay(BaseModel):
    """A project's day: who was on site, for how long, what needs a look."""

    key: str = Field(description="project_id/local_date")
    project_id: str
    project: str
    local_date: str
    workers: int = Field(description="workers with an attendance day on this date")
    hours: float = Field(description="hours worked by all of them (shown, never paid on)")
    flagged: int = Field(description="their days with a missing punch or a correction")
    silent_gates: str = Field(
        description="gates not heard past the end of the day, each with when it was last "
        "heard; empty when every gate has reported"
    )


class WorkerDay(BaseModel):
    """One worker's attendance day on one project, as stored."""

    key: str = Field(description="project_id/worker_id/local_date")
    project_id: str
    local_date: str
    worker_id: str
    name: str
    first_in: str | None
    last_out: str | None
    hours: float
    flags: str = Field(description="missing_in, missing_out, corrected; empty when clean")
    status: str = Field(description="complete | missing_punch | corrected")
    month: str


T = TypeVar("T", bound=BaseModel)


class Rows(BaseModel, Generic[T]):
    """A list's rows in its order, and how many the filters select in all."""

    rows: list[T]
    total: int


def _month_clause(column: ColumnElement[str], month: str) -> ColumnElement[bool]:
    """Dates of one ``YYYY-MM`` (the caller validated it)."""
    return column.like(f"{month}-%")


def hours(minutes: int | None) -> float:
    """Minutes as hours to two decimals (8 h 20 min → 8.33): shown, never paid on."""
    return round((minutes or 0) / 60, 2)


def project_days_select(
    projects: Collection[str] | None,
    *,
    project_id: str | None = None,
    month: str | None = None,
    day: str | None = None,
    flagged: bool | None = None,
) -> Select[Any]:
    """One row per project and date that has attendance: project, name, date, workers on
    site, minutes worked (labelled ``hours``: it sorts as hours do), flagged days.

    The grouped rows are a subquery, so a filter on ``workers`` or ``flagged`` is a plain
    WHERE on the outer SELECT.
    """
    p = schema.projects.c
    grouped = select(
        _D.project_id.label("project_id"),
        _D.local_date.label("local_date"),
        func.count().label("workers"),
        func.coalesce(func.sum(_D.worked_minutes), 0).cast(Integer).label("hours"),
        func.sum(case((FLAGGED, 1), else_=0)).cast(Integer).label("flagged"),
    ).where(in_scope(_D.project_id, projects))
    if project_id:
        grouped = grouped.where(_D.project_id == project_id)
    if month:
        grouped = grouped.where(_month_clause(_D.local_date, month))
    if day:
        grouped = grouped.where(_D.local_date == day)
    g = grouped.group_by(_D.project_id, _D.local_date).subquery("project_days")
    q = select(
        (g.c.project_id + "/" + g.c.local_date).label("key"),
        g.c.project_id,
        p.name.label("project"),
        g.c.local_date,
        g.c.workers,
        g.c.hours,
        g.c.flagged,
    ).select_from(g.join(schema.projects, p.id == g.c.project_id))
    if flagged is not None:
        q = q.where(g.c.flagged > 0 if flagged else g.c.flagged == 0)
    return q


def worker_days_select(
    projects: Collection[str] | None,
    *,
    project_id: str | None = None,
    worker_id: str | None = None,
    month: str | None = None,
    day: str | None = None,
    flagged: bool | None = None,
) -> Select[Any]:
    """One row per worker and date on a project in scope: who, when in and out, minutes
    (labelled ``hours``), flags and status. Names only: ID and card numbers stay off a day
    list (a worker's month shows them masked, :func:`worker_header`)."""
    w = schema.workers.c
    q = (
        select(
            (_D.project_id + "/" + _D.worker_id + "/" + _D.local_date).label("key"),
            _D.project_id.label("project_id"),
            _D.local_date.label("local_date"),
            _D.worker_id.label("worker_id"),
            w.name.label("name"),
            _D.first_in.label("first_in"),
            _D.last_out.label("last_out"),
            _D.worked_minutes.label("hours"),
            _D.flags.label("flags"),
            _D.status.label("status"),
            func.substr(_D.local_date, 1, 7).label("month"),
        )
        .select_from(schema.attendance_days.join(schema.workers, w.id == _D.worker_id))
        .where(in_scope(_D.project_id, projects))
    )
    if project_id:
        q = q.where(_D.project_id == project_id)
    if worker_id:
        q = q.where(_D.worker_id == worker_id)
    if month:
        q = q.where(_month_clause(_D.local_date, month))
    if day:
        q = q.where(_D.local_date == day)
    if flagged is not None:
        q = q.where(FLAGGED if flagged else ~FLAGGED)
    return q


def with_hours(rows: Iterable[dict[str, Any]]) -> None:
    """Turn the minutes a SELECT above labelled ``hours`` into hours, in place."""
    for row in rows:
        row["hours"] = hours(row["hours"])


def _day_end(day: str, zone: tzinfo) -> datetime:
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), zone)


def with_silent_gates(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> None:
    """Add ``silent_gates`` to each project-day row, in place: the project's gates not heard
    past the end of that day (today: quiet for :data:`SILENT_AFTER`), as ``gate (last heard
    …)``, ``""`` when every gate has reported. Each gate's horizon is read once."""
    horizons: dict[str, dict[str, datetime | None]] = {}
    zones: dict[str, tzinfo] = {}
    for row in rows:
        project = str(row["project_id"])
        if project not in horizons:
            zones[project] = project_zone(conn, project)
            horizons[project] = {
                g: gate_horizon(conn, project, g) for g in project_gates(conn, project)
            }
        cutoff = min(_day_end(str(row["local_date"]), zones[project]), now)
        if cutoff == now:
            cutoff = now - SILENT_AFTER
        silent = [
            f"{gate} ({heard.isoformat(timespec='minutes') if heard else '–'})"
            for gate, heard in sorted(horizons[project].items())
            if heard is None or heard < cutoff
        ]
        row["silent_gates"] = ", ".join(silent)


def worker_header(
    conn: Connection, projects: Collection[str] | None, project_id: str, worker_id: str, month: str
) -> dict[str, Any] | None:
    """A worker's month on one project: name, masked ID and card, days, hours, flagged days.

    None when the worker is not employed on the project or the project is out of scope (the
    caller answers 404 either way, so the answer confirms nothing it may not see).
    """
    if projects is not None and project_id not in projects:
        return None
    w, e = schema.workers.c, schema.employments.c
    person = conn.execute(
        select(w.id, w.name, w.id_number_masked, w.card_masked, w.bank).where(
            w.id == worker_id,
            w.id.in_(
                select(e.worker_id).where(e.project_id == project_id, e.worker_id == worker_id)
            ),
        )
    ).first()
    if person is None:
        return None
    totals = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(_D.worked_minutes), 0),
            func.coalesce(func.sum(case((FLAGGED, 1), else_=0)), 0),
        ).where(
            _D.project_id == project_id,
            _D.worker_id == worker_id,
            _month_clause(_D.local_date, month),
        )
    ).one()
    return {
        **dict(person._mapping),
        "project_id": project_id,
        "month": month,
        "days": int(totals[0]),
        "hours": hours(int(totals[1])),
        "flagged": int(totals[2]),
    }
