"""What a month's payroll reads: the project's days, the same employer's days on other
projects, confirmed compensatory rest, and the worker-month's adjustments.

Hours are counted per employer per day (Labour Law arts. 36, 41), so a project's payroll must
see the days its workers worked for the same employer elsewhere; they count towards the
8-hour day but are paid on their own project's line.
"""

import json
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from central.registry.employment import Engagement, engagements
from central.storage import schema

# Longer lists of workers are filtered in Python: a query holds at most 32,766 (SQLite) or
# 65,535 (PostgreSQL) parameters.
MAX_LISTED = 5000


@dataclass(frozen=True, slots=True)
class DayRow:
    """An attendance day as payroll reads it."""

    project_id: str
    worker_id: str
    local_date: date
    worked_minutes: int
    first_in: str | None
    last_out: str | None
    flags: tuple[str, ...]
    intervals: tuple[tuple[datetime, datetime], ...]  # empty: all minutes on local_date
    started: datetime | None  # the first entry, which orders one employer's project days


def _parse_intervals(text: str | None) -> tuple[tuple[datetime, datetime], ...]:
    if not text:
        return ()
    return tuple(
        (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in json.loads(text)
    )


def _day_rows(conn: Connection, where: list[ColumnElement[bool]]) -> list[DayRow]:
    d = schema.attendance_days.c
    rows = conn.execute(
        select(
            d.project_id,
            d.worker_id,
            d.local_date,
            d.worked_minutes,
            d.first_in,
            d.last_out,
            d.flags,
            d.intervals,
        ).where(*where)
    )
    return [
        DayRow(
            r.project_id,
            r.worker_id,
            date.fromisoformat(r.local_date),
            int(r.worked_minutes),
            r.first_in,
            r.last_out,
            tuple(f for f in r.flags.split(",") if f),
            _parse_intervals(r.intervals) if _crosses_midnight(r) else (),
            datetime.fromisoformat(r.first_in) if r.first_in else None,
        )
        for r in rows
    ]


def _crosses_midnight(r: Any) -> bool:
    """Whether some minutes may fall after the start date; most days end on it, and their
    intervals need not be read (a corrected day's minutes are laid out from its entry)."""
    if not r.intervals:
        return False
    return r.last_out is None or r.last_out[:10] != r.local_date or "corrected" in r.flags


def project_days(
    conn: Connection,
    project_id: str,
    first: date,
    last: date,
    workers: Collection[str] | None = None,
) -> list[DayRow]:
    """The project's days of ``first..last`` (only ``workers``' when given)."""
    d = schema.attendance_days.c
    where = [
        d.project_id == project_id,
        d.local_date >= first.isoformat(),
        d.local_date <= last.isoformat(),
    ]
    if workers is not None and len(workers) <= MAX_LISTED:
        where.append(d.worker_id.in_(sorted(workers)))
    rows = _day_rows(conn, where)
    return rows if workers is None else [r for r in rows if r.worker_id in workers]


def related_projects(conn: Connection, project_id: str, first: date, last: date) -> list[str]:
    """Other projects where this project's workers were employed during ``first..last``."""
    e = schema.employments.c
    here = select(e.worker_id).where(e.project_id == project_id)
    rows = conn.execute(
        select(e.project_id)
        .distinct()
        .where(
            e.worker_id.in_(here),
            e.project_id != project_id,
            e.start_date <= last.isoformat(),
            (e.end_date.is_(None)) | (e.end_date >= first.isoformat()),
        )
    )
    return sorted(rows.scalars())


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """A day worked on another project, with that project's engagement."""

    day: DayRow
    engagement: Engagement


def days_elsewhere(
    conn: Connection,
    project_id: str,
    first: date,
    last: date,
    workers: Collection[str] | None = None,
) -> dict[str, list[Elsewhere]]:
    """Each worker's days on the other projects they are employed on, with the engagement
    (and so the employer) of each day; days without one are left out. ``workers``: only
    theirs."""
    out: dict[str, list[Elsewhere]] = defaultdict(list)
    e, d = schema.employments.c, schema.attendance_days.c
    here = select(e.worker_id).where(e.project_id == project_id)
    if workers is not None and len(workers) <= MAX_LISTED:
        here = here.where(e.worker_id.in_(sorted(workers)))
    for other in related_projects(conn, project_id, first, last):
        periods = engagements(conn, other, first, last)
        for row in _day_rows(
            conn,
            [
                d.project_id == other,
                d.worker_id.in_(here),
                d.local_date >= first.isoformat(),
                d.local_date <= last.isoformat(),
            ],
        ):
            if workers is not None and row.worker_id not in workers:
                continue
            engagement = engagement_on(periods.get(row.worker_id, []), row.local_date)
            if engagement is not None and row.worked_minutes > 0:
                out[row.worker_id].append(Elsewhere(row, engagement))
    return out


def engagement_on(periods: list[Engagement], day: date) -> Engagement | None:
    for e in reversed(periods):  # the newest record wins where periods overlap
        if e.covers(day):
            return e
    return None


def compensated_dates(conn: Connection, first: date, last: date) -> set[tuple[str, int, date]]:
    """(worker, employer, rest day worked) with compensatory rest the worker confirmed."""
    c = schema.compensatory_rest.c
    rows = conn.execute(
        select(c.worker_id, c.employer_id, c.worked_date).where(
            c.state == "confirmed",
            c.worked_date >= first.isoformat(),
            c.worked_date <= (last + timedelta(days=1)).isoformat(),  # night shifts
        )
    )
    return {(w, int(emp), date.fromisoformat(d)) for w, emp, d in rows}


def adjustments(conn: Connection, project_id: str, month: str) -> dict[str, dict[str, int]]:
    """Sum per worker and kind (piece_rate, deduction) of the month's live adjustments."""
    a = schema.wage_adjustments.c
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for worker_id, kind, amount in conn.execute(
        select(a.worker_id, a.kind, func.sum(a.amount_fen))
        .where(a.project_id == project_id, a.month == month, a.reversed_at.is_(None))
        .group_by(a.worker_id, a.kind)
    ):
        found[worker_id][kind] = int(amount)
    return found
