"""Wage rules against sums done by hand (rates: 3000 fen/h hourly, 36000 fen/day daily).

Every expected figure below was computed on paper from the rules in docs/wages.md: pay by
the exact minute (hourly 3000/60 = 50 fen a minute, daily 36000/480 = 75 fen a minute), 8 h
standard day, workday extended time ×1.5, rest day ×2, statutory holiday ×3, each amount
rounded once to the fen, half up. Cases that used to round worked time down to 30 minutes,
pay short days nothing or pay half days were wrong by the law (issue: wages by the letter of
the law): their figures below are the per-minute ones, each with its sum.
"""

from datetime import date

import pytest
from factories import SHANGHAI, local

from central.attendance.days import Punch, build_days
from central.wages.holidays import DayKind, WorkCalendar, official_kind, statutory_holidays
from central.wages.rules import DayPay, PayTerms, day_pay

HOURLY = PayTerms(pay_kind="hourly", rate_fen=3000)
DAILY = PayTerms(pay_kind="daily", rate_fen=36000)


def punches(*spec: str) -> list[Punch]:
    """``"2025-06-09 08:00 in"`` → a Punch in Shanghai time."""
    out = []
    for n, item in enumerate(spec):
        when, direction = item.rsplit(" ", 1)
        out.append(Punch(local(when), direction, f"e{n}"))
    return out


# (case, punches, day, kind, worked minutes, flags,
#  hourly (pay, ot minutes), daily (pay, ot minutes))
CASES = [
    (
        "normal workday with lunch out",
        [
            "2025-06-09 08:00 in",
            "2025-06-09 12:00 out",
            "2025-06-09 13:00 in",
            "2025-06-09 17:00 out",
        ],
        "2025-06-09",
        DayKind.WORKDAY,
        480,
        set(),
        (24000, 0),
        (36000, 0),
    ),
    (
        "missing punch: lunch exit not recorded, morning not paid",
        ["2025-06-16 08:00 in", "2025-06-16 13:00 in", "2025-06-16 17:00 out"],
        "2025-06-16",
        DayKind.WORKDAY,
        240,
        {"missing_out"},
        (12000, 0),
        (18000, 0),
    ),
    (
        "night shift across midnight belongs to the day it started",
        ["2025-06-17 20:00 in", "2025-06-18 05:30 out"],
        "2025-06-17",
        DayKind.WORKDAY,
        570,
        set(),
        (30750, 90),
        (46125, 90),
    ),
    (
        "workday extended time: all 707 min are paid",
        ["2025-06-19 07:00 in", "2025-06-19 18:47 out"],
        "2025-06-19",
        DayKind.WORKDAY,
        707,
        set(),
        (41025, 227),  # 480 × 50 + 227 × 50 × 1.5 = 24000 + 17025 (no rounding to 690)
        (61538, 227),  # 36000 + 227 × 75 × 1.5 = 61537.5 → 61538 (half up)
    ),
    (
        "255 min is 255/480 of a day, not half a day",
        ["2025-06-20 08:00 in", "2025-06-20 12:15 out"],
        "2025-06-20",
        DayKind.WORKDAY,
        255,
        set(),
        (12750, 0),  # 255 × 50
        (19125, 0),  # 255 × 75 = 36000 × 255/480
    ),
    (
        "230 min: 230/480 of the daily rate, not zero",
        ["2025-06-23 08:00 in", "2025-06-23 11:50 out"],
        "2025-06-23",
        DayKind.WORKDAY,
        230,
        set(),
        (11500, 0),  # 230 × 50
        (17250, 0),  # 230 × 75 = 36000 × 230/480
    ),
    (
        "29 min are paid, not rounded to nothing",
        ["2025-06-24 08:00 in", "2025-06-24 08:29 out"],
        "2025-06-24",
        DayKind.WORKDAY,
        29,
        set(),
        (1450, 0),  # 29 × 50
        (2175, 0),  # 29 × 75
    ),
    (
        "rest day (Saturday): every minute is overtime ×2",
        ["2025-06-21 08:00 in", "2025-06-21 12:00 out"],
        "2025-06-21",
        DayKind.RESTDAY,
        240,
        set(),
        (24000, 240),
        (36000, 240),
    ),
    (
        "statutory holiday (National Day, 1 Oct): ×3",
        ["2025-10-01 08:00 in", "2025-10-01 17:00 out"],
        "2025-10-01",
        DayKind.HOLIDAY,
        540,
        set(),
        (81000, 540),
        (121500, 540),
    ),
    (
        "holiday period but not statutory (4 Oct, a Saturday): rest day ×2",
        ["2025-10-04 08:00 in", "2025-10-04 16:00 out"],
        "2025-10-04",
        DayKind.RESTDAY,
        480,
        set(),
        (48000, 480),
        (72000, 480),
    ),
    (
        "adjusted working weekend (Sunday 28 Sep 2025, 调休上班): a normal workday",
        ["2025-09-28 08:00 in", "2025-09-28 16:00 out"],
        "2025-09-28",
        DayKind.WORKDAY,
        480,
        set(),
        (24000, 0),
        (36000, 0),
    ),
    (
        "Spring Festival eve is statutory from 2025",
        ["2025-01-28 08:00 in", "2025-01-28 12:00 out"],
        "2025-01-28",
        DayKind.HOLIDAY,
        240,
        set(),
        (36000, 240),
        (54000, 240),
    ),
    (
        "two gates see one entry within 10 min: one entry, no missing punch",
        [
            "2025-06-25 08:00 in",
            "2025-06-25 08:04 in",
            "2025-06-25 16:00 out",
            "2025-06-25 16:03 out",
        ],
        "2025-06-25",
        DayKind.WORKDAY,
        480,
        set(),
        (24000, 0),
        (36000, 0),
    ),
    (
        "exit without entry",
        ["2025-06-26 17:00 out"],
        "2025-06-26",
        DayKind.WORKDAY,
        0,
        {"missing_in"},
        (0, 0),
        (0, 0),
    ),
]


def _ot(pay: DayPay) -> int:
    return pay.minutes.extended + pay.minutes.restday + pay.minutes.holiday


@pytest.mark.parametrize(
    ("punch_spec", "day", "kind", "worked", "flags", "hourly", "daily"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_day_pay_matches_hand_computation(
    punch_spec: list[str],
    day: str,
    kind: DayKind,
    worked: int,
    flags: set[str],
    hourly: tuple[int, int],
    daily: tuple[int, int],
) -> None:
    days = build_days(punches(*punch_spec), SHANGHAI)
    assert list(days) == [date.fromisoformat(day)]
    record = days[date.fromisoformat(day)]
    assert (record.worked_minutes, record.flags) == (worked, flags)
    assert official_kind(record.local_date) is kind
    h = day_pay(worked, kind, HOURLY)
    assert (h.pay_fen, _ot(h)) == hourly
    d = day_pay(worked, kind, DAILY)
    assert (d.pay_fen, _ot(d)) == daily
    # Overtime is counted under the kind of the day, nowhere else.
    assert (h.minutes.extended > 0) <= (kind is DayKind.WORKDAY)
    assert (h.minutes.holiday > 0) <= (kind is DayKind.HOLIDAY)
    assert h.minutes.total == d.minutes.total == worked  # minutes shown = minutes paid


def test_a_normal_week_is_five_full_days() -> None:
    spec = []
    for d in range(9, 14):  # Monday 9 June to Friday 13 June 2025
        spec += [f"2025-06-{d:02d} 08:00 in", f"2025-06-{d:02d} 12:00 out"]
        spec += [f"2025-06-{d:02d} 13:00 in", f"2025-06-{d:02d} 17:00 out"]
    days = build_days(punches(*spec), SHANGHAI)
    assert [d.worked_minutes for d in days.values()] == [480] * 5
    kinds = [official_kind(d) for d in days]
    assert kinds == [DayKind.WORKDAY] * 5
    assert sum(day_pay(480, k, DAILY).pay_fen for k in kinds) == 180000
    assert sum(day_pay(480, k, HOURLY).pay_fen for k in kinds) == 120000


def test_statutory_days_follow_the_2025_rules() -> None:
    y2025, y2024 = statutory_holidays(2025), statutory_holidays(2024)
    assert len(y2025) == 13 and len(y2024) == 11  # 2025 revision: +New Year's Eve, +2 May
    assert date(2025, 1, 28) in y2025 and date(2024, 2, 9) not in y2024  # lunar new year's eve
    assert date(2025, 5, 2) in y2025 and date(2024, 5, 2) not in y2024
    assert y2025[date(2025, 10, 6)] == "Mid-autumn Festival"
    assert y2025[date(2025, 4, 4)] == "Tomb-sweeping Day"
    assert y2024[date(2024, 6, 10)] == "Dragon Boat Festival"


def test_site_override_wins_over_the_national_calendar() -> None:
    calendar = WorkCalendar(
        {date(2025, 6, 24): DayKind.HOLIDAY, date(2025, 10, 4): DayKind.WORKDAY}
    )
    assert calendar.kind(date(2025, 6, 24)) is DayKind.HOLIDAY
    assert calendar.kind(date(2025, 10, 4)) is DayKind.WORKDAY
    assert calendar.kind(date(2025, 6, 23)) is DayKind.WORKDAY


@pytest.mark.parametrize(
    ("field", "value"),
    [("ot_workday_pct", 140), ("ot_restday_pct", 150), ("ot_holiday_pct", 250), ("rate_fen", 0)],
)
def test_terms_below_the_legal_minimum_are_refused(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=field):
        PayTerms.model_validate({"pay_kind": "hourly", "rate_fen": 3000, field: value})


def test_terms_stored_with_a_rounding_unit_still_pay_by_the_minute() -> None:
    """Employment terms recorded with ``rounding_minutes`` (and half days) still load, and
    the unit no longer takes minutes away: 29 min at 3000 fen/h = 29 × 50 = 1450 fen."""
    stored = {"pay_kind": "hourly", "rate_fen": 3000, "rounding_minutes": 15}
    stored |= {"full_day_minutes": 480, "half_day_minutes": 240}
    quarter = PayTerms.model_validate(stored)
    assert day_pay(29, DayKind.WORKDAY, quarter).pay_fen == 1450
