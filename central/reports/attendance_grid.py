"""The attendance month grid of one project (考勤月表): workers × days, hours and flags per
cell, totals per worker and per day, optionally one team.

The enterprise console's attendance page and ``GET /api/v1/projects/{id}/attendance-grid``
both call :func:`month_grid`, with the workers the caller may see from
``scope.project_worker_ids`` (None: all of them), so the page and the API cannot disagree.
The cells are the stored ``attendance_days`` (ingest keeps them current): reading the grid
never recomputes a day. A worker is a row when employed on the project at some time in the
month or when they have a day in it.
"""

from collections.abc import Collection

from pydantic import BaseModel, Field
from sqlalchemy import Connection, or_, select

from central.attendance.periods import month_range
from central.storage import schema


class GridCell(BaseModel):
    """One worker's day: minutes worked, flags (missing_in, missing_out, corrected)."""

    minutes: int
    hours: float
    flags: list[str]
    status: str = Field(description="complete | missing_punch | corrected")


class GridRow(BaseModel):
    worker_id: str
    name: str
    team: str | None
    cells: dict[str, GridCell] = Field(description="by date (YYYY-MM-DD); absent: no day")
    days: int = Field(description="dates with worked minutes")
    minutes: int
    hours: float
    flagged: int = Field(description="days with a flag")


class GridDay(BaseModel):
    date: str
    weekday: int = Field(description="1 Monday … 7 Sunday")
    workers: int = Field(description="workers with worked minutes on this date")
    hours: float


class MonthGrid(BaseModel):
    project_id: str
    month: str
    team: str | None
    teams: list[str] = Field(description="the teams of the workers the caller may see")
    days: list[GridDay]
    rows: list[GridRow]
    hours: float
    flagged: int


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def month_grid(
    conn: Connection,
    project_id: str,
    month: str,
    workers: Collection[str] | None,
    team: str | None = None,
) -> MonthGrid:
    """The month's grid; ``workers``: the ids the caller may see (None: all)."""
    first, last = month_range(month)
    e, w, d = schema.employments.c, schema.workers.c, schema.attendance_days.c
    in_month = (
        e.start_date <= last.isoformat(),
        or_(e.end_date.is_(None), e.end_date >= first.isoformat()),
    )
    q = (
        select(e.worker_id, e.team, w.name)
        .join(schema.workers, w.id == e.worker_id)
        .where(e.project_id == project_id, *in_month)
    )
    day_q = select(schema.attendance_days).where(
        d.project_id == project_id,
        d.local_date >= first.isoformat(),
        d.local_date <= last.isoformat(),
    )
    if workers is not None:
        q = q.where(e.worker_id.in_(sorted(workers)))
        day_q = day_q.where(d.worker_id.in_(sorted(workers)))
    people: dict[str, tuple[str, str | None]] = {}
    teams: set[str] = set()
    for r in conn.execute(q.order_by(e.start_date)):
        people[r.worker_id] = (r.name, r.team)  # the latest employment's team wins
        if r.team:
            teams.add(r.team)
    day_rows = list(conn.execute(day_q))
    missing = sorted({r.worker_id for r in day_rows} - set(people))
    if missing:  # a day without a current employment (ended, or a team moved): still shown
        names = conn.execute(select(w.id, w.name).where(w.id.in_(missing)))
        people.update({i: (n, None) for i, n in names})
    rows: dict[str, GridRow] = {
        worker_id: GridRow(
            worker_id=worker_id, name=name, team=t, cells={}, days=0, minutes=0, hours=0, flagged=0
        )
        for worker_id, (name, t) in people.items()
        if team is None or t == team
    }
    dates = [first.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    per_day = {x.isoformat(): [0, 0] for x in dates}  # workers, minutes
    for r in day_rows:
        row = rows.get(r.worker_id)
        if row is None:
            continue
        flags = [f for f in str(r.flags).split(",") if f]
        row.cells[r.local_date] = GridCell(
            minutes=r.worked_minutes, hours=_hours(r.worked_minutes), flags=flags, status=r.status
        )
        row.minutes += r.worked_minutes
        row.days += 1 if r.worked_minutes > 0 else 0
        row.flagged += 1 if flags else 0
        if r.worked_minutes > 0:
            per_day[r.local_date][0] += 1
        per_day[r.local_date][1] += r.worked_minutes
    for row in rows.values():
        row.hours = _hours(row.minutes)
    ordered = sorted(rows.values(), key=lambda x: (x.team or "", x.name, x.worker_id))
    return MonthGrid(
        project_id=project_id,
        month=month,
        team=team,
        teams=sorted(teams),
        days=[
            GridDay(
                date=x.isoformat(),
                weekday=x.isoweekday(),
                workers=per_day[x.isoformat()][0],
                hours=_hours(per_day[x.isoformat()][1]),
            )
            for x in dates
        ],
        rows=ordered,
        hours=_hours(sum(r.minutes for r in ordered)),
        flagged=sum(r.flagged for r in ordered),
    )
