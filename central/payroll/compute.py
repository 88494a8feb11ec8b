"""A project's month → one payroll line per worker, each with its per-day breakdown.

The line is what an inspector recomputes by hand: the worked minutes split into plain,
extended (×1.5), rest-day (×2) and holiday (×3) with the money of each, gross, deductions,
net and attended days. Its money is the exact sum of its days (fractions of a fen kept),
rounded once to the fen; the parts and the days shown are shares of that one total, so
they add up to it (central/wages/rules.py). A worker who came to the gate gets a line even
when every punch was flagged: the flagged days are listed as unpaid, with the reason.
"""

from collections import defaultdict
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, tzinfo
from fractions import Fraction

from sqlalchemy import Connection

from central.attendance.periods import month_range
from central.payroll import sources
from central.payroll.sources import DayRow, engagement_on
from central.registry.employment import Engagement, engagements
from central.registry.organisations import project, project_zone, work_calendar
from central.wages.holidays import WorkCalendar
from central.wages.rules import Adjustments, MinuteSplit, allocate, money_numerators, round_fen
from central.wages.timeline import DayMinutes, WorkDay, split_days

DAILY_EXTENDED_LIMIT = 3 * 60  # art. 41: at most 3 hours of extended time a day
MONTHLY_OVERTIME_LIMIT = 36 * 60  # art. 41: at most 36 hours a month

NOTES = {
    "missing_out": "an entry without its exit (missing_out) is not paid until the day is corrected",
    "missing_in": "an exit without its entry (missing_in) is not paid until the day is corrected",
    "corrected": "minutes as corrected by site staff (see the corrections log)",
    "no_employment": "no employment on this project on this date: not paid",
}


@dataclass(slots=True)
class Computed:
    """The month's lines and what the wage-law warnings need to know about them."""

    lines: list[dict[str, object]] = field(default_factory=list)
    days: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # by worker
    # (worker, employer, date, extended minutes) beyond the daily limit
    long_days: list[tuple[str, int, date, int]] = field(default_factory=list)
    # (worker, employer, overtime minutes of the month) beyond the monthly limit
    long_months: list[tuple[str, int, int]] = field(default_factory=list)
    # (worker, paid fen per hour at the plain rate, rounded down) below the minimum wage
    below_minimum: list[tuple[str, int]] = field(default_factory=list)
    minimum_fen: int | None = None  # the project's hourly minimum wage, when configured


def day_note(flags: tuple[str, ...], employed: bool) -> str | None:
    """What a line day says about its flags, and about a date without employment."""
    parts = [NOTES[f] for f in flags if f in NOTES]
    if not employed:
        parts.append(NOTES["no_employment"])
    return "; ".join(parts) or None


def _work_day(
    key: object, row: DayRow, e: Engagement, calendar: WorkCalendar, zone: tzinfo
) -> WorkDay:
    return WorkDay(
        key=key,
        employer_id=e.employer_id,
        start_date=row.local_date,
        worked_minutes=row.worked_minutes,
        intervals=row.intervals,
        kind_of=calendar.kind,
        standard_minutes=e.terms.standard_day_minutes,
        zone=zone,
        started=row.started,
    )


def compute_month(
    conn: Connection, project_id: str, month: str, workers: Collection[str] | None = None
) -> Computed:
    """Lines (not yet stored) for everyone with attendance days or adjustments in the month,
    or for ``workers`` among them (the ones the set-based path leaves to this one,
    central/payroll/compute_sql.py)."""
    first, last = month_range(month)
    zone = project_zone(conn, project_id)
    calendar = work_calendar(conn, project_id)
    minimum = project(conn, project_id).get("min_hourly_wage_fen")
    out = Computed(minimum_fen=int(minimum) if minimum else None)  # type: ignore[call-overload]  # row values are typed object
    if workers is not None and not workers:
        return out
    periods = engagements(conn, project_id, first, last)
    days: dict[str, list[DayRow]] = defaultdict(list)
    for row in sources.project_days(conn, project_id, first, last, workers):
        days[row.worker_id].append(row)
    elsewhere = sources.days_elsewhere(conn, project_id, first, last, workers)
    calendars = {project_id: calendar}
    compensated = sources.compensated_dates(conn, first, last)
    extra = sources.adjustments(conn, project_id, month)
    if workers is not None:
        extra = {w: v for w, v in extra.items() if w in workers}
    for worker_id in sorted(set(days) | set(extra)):
        worker_periods = periods.get(worker_id, [])
        work: list[WorkDay] = []
        here: list[tuple[DayRow, Engagement | None]] = []
        for row in sorted(days.get(worker_id, []), key=lambda r: r.local_date):
            e = engagement_on(worker_periods, row.local_date)
            here.append((row, e))
            if e is not None and row.worked_minutes > 0:
                work.append(_work_day(("here", row.local_date), row, e, calendar, zone))
        for other in elsewhere.get(worker_id, []):
            pid = other.day.project_id
            if pid not in calendars:
                calendars[pid] = work_calendar(conn, pid)
            key = ("elsewhere", pid, other.day.local_date)
            work.append(_work_day(key, other.day, other.engagement, calendars[pid], zone))

        def is_compensated(employer: int, d: date, w: str = worker_id) -> bool:
            return (w, employer, d) in compensated

        split = split_days(work, is_compensated)
        _overtime(out, worker_id, work, split, first, last)
        paid = [(row, e) for row, e in here if e is not None]
        employer = next((e.employer_id for _, e in reversed(paid) if e), None)
        if employer is None and worker_periods:
            employer = worker_periods[-1].employer_id
        if employer is None:
            continue  # attendance without employment: no line, a warning (warnings/indicators)
        mine = extra.get(worker_id, {})
        adj = Adjustments(mine.get("piece_rate", 0), mine.get("deduction", 0))
        line, line_days, plain_worth = _line(worker_id, employer, here, split, calendar, adj)
        out.lines.append(line)
        out.days[worker_id] = line_days
        worked = int(line["worked_minutes"])  # type: ignore[call-overload]  # row values are typed object
        if worked and minimum and plain_worth * 60 < minimum * worked:
            out.below_minimum.append((worker_id, int(plain_worth * 60 / worked)))
    return out


def _line(
    worker_id: str,
    employer: int,
    here: list[tuple[DayRow, Engagement | None]],
    split: Mapping[Hashable, DayMinutes],
    calendar: WorkCalendar,
    adj: Adjustments,
) -> tuple[dict[str, object], list[dict[str, object]], Fraction]:
    """One worker's line, its days, and the worth of its minutes at the plain rate.

    Exact money is kept as integer numerators per denominator (one per kind of terms,
    usually one per line): the same sums as Fractions, without a Fraction for every part of
    every day.
    """
    totals, day_exact = MinuteSplit(), []
    sums: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    base: dict[int, int] = defaultdict(int)  # worth at the plain rate, for the minimum wage
    terms = None
    for row, e in here:
        part, day_value = MinuteSplit(), Fraction(0)
        if e is not None and row.worked_minutes > 0:
            part = split[("here", row.local_date)].split
            nums, den = money_numerators(part, e.terms)
            for k in range(4):
                sums[den][k] += nums[k]
            day_value = Fraction(sum(nums), den)
            base[den] += e.terms.rate_fen * part.total * 100
            terms = e.terms
        totals.add(part)
        day_exact.append((row, e, part, day_value))
    parts = [_exact({den: v[k] for den, v in sums.items()}) for k in range(4)]
    attendance_fen = round_fen(sum(parts, Fraction(0)))
    plain, extended, restday, holiday = allocate(attendance_fen, parts)
    day_money = allocate(attendance_fen, [value for *_, value in day_exact])
    gross, applied, net = adj.net(attendance_fen)
    line: dict[str, object] = {
        "worker_id": worker_id,
        "employer_id": employer,
        "pay_kind": terms.pay_kind.value if terms else None,
        "rate_fen": terms.rate_fen if terms else None,
        "attended_days": sum(1 for *_, s, _v in day_exact if s.total > 0),
        "worked_minutes": totals.total,
        "plain_minutes": totals.plain,
        "compensated_minutes": totals.compensated,
        "ot_workday_minutes": totals.extended,
        "ot_restday_minutes": totals.restday,
        "ot_holiday_minutes": totals.holiday,
        "plain_fen": plain,
        "extended_fen": extended,
        "restday_fen": restday,
        "holiday_fen": holiday,
        "additions_fen": adj.additions_fen,
        "gross_fen": gross,
        "deductions_fen": applied,
        "net_fen": net,
    }
    days: list[dict[str, object]] = [
        {
            "local_date": row.local_date.isoformat(),
            "day_kind": calendar.kind(row.local_date).value,
            "first_in": row.first_in,
            "last_out": row.last_out,
            "plain_minutes": s.plain,
            "extended_minutes": s.extended,
            "restday_minutes": s.restday,
            "holiday_minutes": s.holiday,
            "compensated_minutes": s.compensated,
            "money_fen": fen,
            "flags": ",".join(row.flags),
            "note": day_note(row.flags, e is not None),
        }
        for (row, e, s, _), fen in zip(day_exact, day_money, strict=True)
    ]
    return line, days, _exact(base)


def _exact(numerators: dict[int, int]) -> Fraction:
    """Σ numerator / denominator, exactly."""
    return sum((Fraction(n, den) for den, n in numerators.items()), Fraction(0))


def _overtime(
    out: Computed,
    worker_id: str,
    work: list[WorkDay],
    split: Mapping[Hashable, DayMinutes],
    first: date,
    last: date,
) -> None:
    """Art. 41 limits, per employer over all its projects: 3 h extended a day, 36 h a month
    of overtime (extended, rest-day and holiday minutes)."""
    per_day: dict[tuple[int, date], int] = defaultdict(int)
    per_month: dict[int, int] = defaultdict(int)
    for day in work:
        if not first <= day.start_date <= last:
            continue
        s = split[day.key].split
        per_day[(day.employer_id, day.start_date)] += s.extended
        per_month[day.employer_id] += s.extended + s.restday + s.holiday
    for (employer, d), minutes in sorted(per_day.items()):
        if minutes > DAILY_EXTENDED_LIMIT:
            out.long_days.append((worker_id, employer, d, minutes))
    for employer, minutes in sorted(per_month.items()):
        if minutes > MONTHLY_OVERTIME_LIMIT:
            out.long_months.append((worker_id, employer, minutes))
