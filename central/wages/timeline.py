"""Which worked minute is which: plain, extended, rest day or holiday (Labour Law arts. 36, 41, 44).

The rules, as an inspector recomputes them:

* A shift belongs to the date it started (its attendance day). That date's *workday* minutes
  for one employer, added up over every project of that employer, are the hours the 8-hour
  day is measured against (arts. 36 and 41 limit a worker's day with an employer, not with a
  site): minutes beyond the standard day are extended time (×1.5).
* The premium of each minute follows the calendar date it was worked on: a shift from 20:00
  on 30 September to 06:00 on 1 October pays the six hours after midnight at ×3. Minutes on
  a rest day are ×2, unless compensatory rest (调休) was given for that date, in which case
  they are paid and counted as workday minutes. Rest-day and holiday minutes are never
  counted again as extended time.
* When one employer's day spans several projects, the minutes beyond the standard day are
  taken from the project days in the order they started: the project day that started last
  carries the extended time (5 h on A in the morning and 5 h on B in the afternoon: A pays
  5 h plain, B 3 h plain and 2 h extended). The total is the same whichever way it is split.

Everything here is pure: dates and minutes in, minutes by kind out.
"""

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from central.wages.holidays import DayKind
from central.wages.rules import MinuteSplit

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class WorkDay:
    """One attendance day of one project, as payroll sees it."""

    key: Hashable  # the caller's handle on this day (e.g. project and date)
    employer_id: int
    start_date: date
    worked_minutes: int  # the day's paid minutes (events, or a correction on top)
    intervals: tuple[Interval, ...]  # when they were worked; empty: all on start_date
    kind_of: Callable[[date], DayKind]  # the project's calendar
    standard_minutes: int = 480
    zone: tzinfo | None = None  # the site's zone; intervals are aware datetimes
    started: datetime | None = None  # the first entry (else the first interval's start)


@dataclass(slots=True)
class DayMinutes:
    """A day's minutes by kind, and by calendar date for the per-day sheet."""

    split: MinuteSplit = field(default_factory=MinuteSplit)
    by_date: dict[date, int] = field(default_factory=dict)


def minutes_by_date(day: WorkDay) -> dict[date, int]:
    """How many of the day's minutes fell on each calendar date (site time).

    Later dates get their whole minutes; the start date gets the rest, so the minutes add up
    to ``worked_minutes`` exactly whatever the seconds were.
    """
    seconds: dict[date, int] = defaultdict(int)
    for start, end in day.intervals:
        if day.zone is not None:
            start, end = start.astimezone(day.zone), end.astimezone(day.zone)
        cursor = start
        while cursor < end:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time(), cursor.tzinfo)
            stop = min(end, midnight)
            seconds[cursor.date()] += int((stop - cursor).total_seconds())
            cursor = stop
    out: dict[date, int] = {}
    left = day.worked_minutes
    for d in sorted(seconds):
        if d > day.start_date:
            m = min(seconds[d] // 60, left)
            if m:
                out[d] = m
                left -= m
    out[day.start_date] = left
    return {d: m for d, m in sorted(out.items()) if m > 0}


def _first_moment(day: WorkDay) -> datetime | date:
    if day.started is not None:
        return day.started
    return min(s for s, _ in day.intervals) if day.intervals else day.start_date


def split_days(
    days: Sequence[WorkDay], compensated: Callable[[int, date], bool] = lambda _e, _d: False
) -> dict[Hashable, DayMinutes]:
    """Minutes by kind for every day of one worker (any projects, any employers).

    ``compensated(employer_id, date)`` says whether confirmed compensatory rest covers work
    for that employer on that rest day.
    """
    groups: dict[tuple[int, date], list[WorkDay]] = defaultdict(list)
    for day in days:
        groups[(day.employer_id, day.start_date)].append(day)
    out: dict[Hashable, DayMinutes] = {}
    for (employer, _), group in groups.items():
        standard = min(d.standard_minutes for d in group)
        counted = 0  # workday minutes of this employer's day so far, in order of starting
        ordered = sorted(group, key=lambda d: (_sort_key(_first_moment(d)), str(d.key)))
        for day in ordered:
            result = DayMinutes(by_date=minutes_by_date(day))
            for d, minutes in result.by_date.items():
                kind = day.kind_of(d)
                if kind is DayKind.HOLIDAY:
                    result.split.holiday += minutes
                    continue
                if kind is DayKind.RESTDAY:
                    if not compensated(employer, d):
                        result.split.restday += minutes
                        continue
                    result.split.compensated += minutes
                plain = max(0, min(minutes, standard - counted))
                result.split.plain += plain
                result.split.extended += minutes - plain
                counted += minutes
            out[day.key] = result
    return out


def _sort_key(moment: datetime | date) -> tuple[int, float]:
    """Days without times sort before timed ones of the same date (their hours came first)."""
    if isinstance(moment, datetime):
        return (1, moment.timestamp())
    return (0, 0.0)
