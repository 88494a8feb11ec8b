"""A project's month → one payroll line per worker, from attendance days and pay terms."""

from collections import defaultdict
from datetime import date

from sqlalchemy import Connection, func, select

from central.attendance.periods import month_range
from central.registry.employment import Engagement, engagements
from central.registry.organisations import work_calendar
from central.storage import schema
from central.wages.holidays import WorkCalendar
from central.wages.rules import MonthTotals, day_pay

LINE_FIELDS = (
    "half_days",
    "worked_minutes",
    "ot_workday_minutes",
    "ot_restday_minutes",
    "ot_holiday_minutes",
    "gross_fen",
    "deductions_fen",
    "net_fen",
)


def _engagement_on(periods: list[Engagement], day: date) -> Engagement | None:
    for e in reversed(periods):  # the newest record wins where periods overlap
        if e.covers(day):
            return e
    return None


def worker_totals(
    days: list[tuple[date, int]], periods: list[Engagement], calendar: WorkCalendar
) -> tuple[MonthTotals, int | None]:
    """Sum a worker's days; also return the employer of the last paid day."""
    totals, employer = MonthTotals(), None
    for day, worked in sorted(days):
        engagement = _engagement_on(periods, day)
        if engagement is None:
            continue  # attendance without employment: no pay line, a warning instead
        totals.add_day(worked, day_pay(worked, calendar.kind(day), engagement.terms))
        employer = engagement.employer_id
    return totals, employer


def compute_lines(conn: Connection, project_id: str, month: str) -> list[dict[str, object]]:
    """Lines (not yet stored) for everyone with paid days or adjustments in the month."""
    first, last = month_range(month)
    calendar = work_calendar(conn, project_id)
    periods = engagements(conn, project_id, first, last)
    d = schema.attendance_days.c
    days: dict[str, list[tuple[date, int]]] = defaultdict(list)
    rows = conn.execute(
        select(d.worker_id, d.local_date, d.worked_minutes).where(
            d.project_id == project_id,
            d.local_date >= first.isoformat(),
            d.local_date <= last.isoformat(),
        )
    )
    for worker_id, local_date, worked in rows:
        days[worker_id].append((date.fromisoformat(local_date), worked))
    a = schema.wage_adjustments.c
    adjustments: dict[str, dict[str, int]] = defaultdict(dict)
    for worker_id, kind, amount in conn.execute(
        select(a.worker_id, a.kind, func.sum(a.amount_fen))
        .where(a.project_id == project_id, a.month == month)
        .group_by(a.worker_id, a.kind)
    ):
        adjustments[worker_id][kind] = int(amount)
    lines = []
    for worker_id in sorted(set(days) | set(adjustments)):
        worker_periods = periods.get(worker_id, [])
        totals, employer = worker_totals(days.get(worker_id, []), worker_periods, calendar)
        if employer is None and worker_periods:
            employer = worker_periods[-1].employer_id
        if employer is None:
            continue
        totals.piece_rate_fen = adjustments[worker_id].get("piece_rate", 0)
        totals.deductions_fen = adjustments[worker_id].get("deduction", 0)
        if totals.gross_fen == 0 and totals.deductions_fen == 0:
            continue
        lines.append(
            {
                "worker_id": worker_id,
                "employer_id": employer,
                "half_days": totals.half_days,
                "worked_minutes": totals.worked_minutes,
                "ot_workday_minutes": totals.ot_workday_minutes,
                "ot_restday_minutes": totals.ot_restday_minutes,
                "ot_holiday_minutes": totals.ot_holiday_minutes,
                "gross_fen": totals.gross_fen,
                "deductions_fen": totals.applied_deductions_fen,
                "net_fen": totals.net_fen,
            }
        )
    return lines
