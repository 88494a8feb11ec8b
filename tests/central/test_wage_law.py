"""Wages by the letter of the law, each rule against a sum done by hand.

Rates used: hourly 3000 fen/h = 50 fen a minute; daily 36000 fen/day = 36000/480 = 75 fen a
minute. Extended time ×1.5, rest day ×2, statutory holiday ×3 (Labour Law art. 44). Every
amount is the exact sum of its parts, rounded once per line to the fen, half up. The
computation of each expected figure is written beside it.
"""

import json
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from factories import local, new_db, registered_project, second_project, store_punches
from sqlalchemy import select

from central.attendance import closing
from central.audit import Actor
from central.errors import Conflict, InvalidInput, NotFound
from central.payroll import batches
from central.payroll.compensatory_rest import confirm_rest, record_rest
from central.payroll.line_days import days_of_lines
from central.registry.sealing import Sealer
from central.storage import Database, schema
from central.wages.holidays import DayKind
from central.wages.rules import PayTerms, allocate, day_pay, round_fen
from central.warnings.indicators import scan

HOURLY = PayTerms(pay_kind="hourly", rate_fen=3000)
DAILY = PayTerms(pay_kind="daily", rate_fen=36000)
BOSS = Actor("boss", "contractor_admin")
SITE = "site-a"


def shift(worker: str, start: str, end: str) -> list[tuple[str, str, object]]:
    """An in and an out, ``"2025-06-09 08:00"`` style, Shanghai time."""
    return [(worker, "in", local(start)), (worker, "out", local(end))]


def line_of(db: Database, project: str, month: str, worker: str) -> dict[str, object]:
    batch = batches.compute(db, project, month, "boss")
    with db.engine.connect() as conn:
        found = [x for x in batches.lines(conn, int(batch["id"])) if x["worker_id"] == worker]  # type: ignore[call-overload]
    assert len(found) == 1, found
    return found[0]


def days_of(db: Database, line: dict[str, object]) -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        return days_of_lines(conn, [int(line["id"])])[int(line["id"])]  # type: ignore[call-overload]


def warnings_of(db: Database, kind: str) -> list[dict[str, object]]:
    w = schema.wage_warnings.c
    with db.engine.connect() as conn:
        rows = conn.execute(select(schema.wage_warnings).where(w.kind == kind)).mappings()
        return [{**r, "evidence": json.loads(r["evidence"])} for r in rows]


@pytest.fixture
def site(tmp_path: Path) -> tuple[Database, Sealer, int]:
    db, sealer = new_db(tmp_path)
    contractor = registered_project(db, sealer, SITE, {"W1": HOURLY, "W2": DAILY})
    return db, sealer, int(contractor["id"])  # type: ignore[call-overload]


# --- pure rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "terms", "expected"),
    [
        (230, DAILY, 17250),  # 3 h 50 min = 230/480 × 36000 = 17250, not zero
        (479, DAILY, 35925),  # 7 h 59 min = 479/480 × 36000 = 35925, not half a day
        (240, DAILY, 18000),  # 240/480 × 36000
        (29, HOURLY, 1450),  # 29 × 3000/60, not rounded to nothing
        (10, PayTerms(pay_kind="hourly", rate_fen=3333), 556),  # 10 × 3333/60 = 555.5 → 556
        (1, PayTerms(pay_kind="hourly", rate_fen=2999), 50),  # 2999/60 = 49.98 → 50
    ],
)
def test_pay_follows_the_exact_minutes(minutes: int, terms: PayTerms, expected: int) -> None:
    assert day_pay(minutes, DayKind.WORKDAY, terms).pay_fen == expected


def test_rounding_is_once_half_up_and_parts_add_up() -> None:
    assert round_fen(Fraction(1, 2)) == 1 and round_fen(Fraction(49, 100)) == 0
    assert round_fen(Fraction(2333, 2)) == 1167  # 1166.5 → 1167
    # 3 × 388.85 = 1166.55 → 1167; each share within a fen of its part, and the shares add up
    shares = allocate(1167, [Fraction(38885, 100)] * 3)
    assert shares == [389, 389, 389] and sum(shares) == 1167


# --- per employer per day, across projects ---------------------------------------------


def test_hours_count_per_employer_per_day_across_projects(
    database: Database, tmp_path: Path
) -> None:
    sealer = Sealer.from_file(tmp_path / "central.key")
    contractor = registered_project(database, sealer, SITE, {"W1": HOURLY})
    second_project(database, int(contractor["id"]), "site-b", {"W1": HOURLY})  # type: ignore[call-overload]
    # Monday 9 June 2025: 5 h on A in the morning, 5 h on B in the afternoon, one employer.
    store_punches(database, SITE, shift("W1", "2025-06-09 08:00", "2025-06-09 13:00"))
    store_punches(database, "site-b", shift("W1", "2025-06-09 14:00", "2025-06-09 19:00"))
    a = line_of(database, SITE, "2025-06", "W1")
    b = line_of(database, "site-b", "2025-06", "W1")
    # A started first: 300 min plain = 300 × 50 = 15000
    assert (a["plain_minutes"], a["ot_workday_minutes"], a["gross_fen"]) == (300, 0, 15000)
    # B carries the 9th and 10th hours: 180 × 50 + 120 × 50 × 1.5 = 9000 + 9000 = 18000
    assert (b["plain_minutes"], b["ot_workday_minutes"], b["gross_fen"]) == (180, 120, 18000)
    assert (b["plain_fen"], b["extended_fen"]) == (9000, 9000)
    # the day in total: 600 × 50 + 120 × 50 × 0.5 = 30000 + 3000 = 33000
    assert int(a["gross_fen"]) + int(b["gross_fen"]) == 33000  # type: ignore[call-overload]


# --- the premium of each minute follows its calendar date ------------------------------


def test_minutes_after_midnight_on_a_holiday_are_paid_as_holiday(site) -> None:  # type: ignore[no-untyped-def]
    db, _, _ = site
    # Tue 30 Sep 2025 (workday) 20:00 → Wed 1 Oct (National Day) 06:00
    store_punches(db, SITE, shift("W1", "2025-09-30 20:00", "2025-10-01 06:00"))
    line = line_of(db, SITE, "2025-09", "W1")  # the shift belongs to 30 September
    # 240 min on 30 Sep plain: 240 × 50 = 12000; 360 min on 1 Oct ×3: 360 × 50 × 3 = 54000
    assert (line["plain_minutes"], line["ot_holiday_minutes"]) == (240, 360)
    assert line["ot_workday_minutes"] == 0  # 600 min, but holiday minutes are not extended time
    assert (line["plain_fen"], line["holiday_fen"], line["gross_fen"]) == (12000, 54000, 66000)
    (day,) = days_of(db, line)
    assert (day["local_date"], day["day_kind"], day["money_fen"]) == (
        "2025-09-30",
        "workday",
        66000,
    )
    assert (day["plain_minutes"], day["holiday_minutes"]) == (240, 360)
    assert line["attended_days"] == 1 and line["worked_minutes"] == 600


def test_minutes_after_midnight_on_a_rest_day_are_paid_double(site) -> None:  # type: ignore[no-untyped-def]
    db, _, _ = site
    # Fri 13 June 2025 20:00 → Sat 14 June 06:00: 240 × 50 + 360 × 50 × 2 = 12000 + 36000
    store_punches(db, SITE, shift("W1", "2025-06-13 20:00", "2025-06-14 06:00"))
    line = line_of(db, SITE, "2025-06", "W1")
    assert (line["plain_minutes"], line["ot_restday_minutes"], line["gross_fen"]) == (
        240,
        360,
        48000,
    )


def test_a_night_shift_counts_towards_the_day_it_started(site) -> None:  # type: ignore[no-untyped-def]
    db, _, _ = site
    # Mon 9 June 14:00 → Tue 02:00 is 720 min of Monday's day: 480 plain + 240 extended;
    # Tuesday's own 08:00–16:00 is a fresh 8-hour day: 480 plain.
    store_punches(db, SITE, shift("W1", "2025-06-09 14:00", "2025-06-10 02:00"))
    store_punches(db, SITE, shift("W1", "2025-06-10 08:00", "2025-06-10 16:00"))
    line = line_of(db, SITE, "2025-06", "W1")
    # 960 × 50 + 240 × 50 × 1.5 = 48000 + 18000 = 66000
    assert (line["plain_minutes"], line["ot_workday_minutes"], line["gross_fen"]) == (
        960,
        240,
        66000,
    )
    assert line["attended_days"] == 2
    assert [d["extended_minutes"] for d in days_of(db, line)] == [240, 0]


# --- by the minute, rounded once -------------------------------------------------------


def test_a_daily_rate_is_paid_pro_rata_by_the_minute(site) -> None:  # type: ignore[no-untyped-def]
    db, _, _ = site
    store_punches(db, SITE, shift("W2", "2025-06-09 08:00", "2025-06-09 11:50"))  # 230 min
    store_punches(db, SITE, shift("W2", "2025-06-10 08:00", "2025-06-10 15:59"))  # 479 min
    line = line_of(db, SITE, "2025-06", "W2")
    # 230 × 75 + 479 × 75 = 17250 + 35925 = 53175 (old rules: 0 + half a day 18000)
    assert (line["worked_minutes"], line["gross_fen"], line["attended_days"]) == (709, 53175, 2)
    assert (line["pay_kind"], line["rate_fen"]) == ("daily", 36000)
    assert [d["money_fen"] for d in days_of(db, line)] == [17250, 35925]


def test_money_is_rounded_once_per_line(tmp_path: Path) -> None:
    db, sealer = new_db(tmp_path)
    registered_project(db, sealer, SITE, {"W1": PayTerms(pay_kind="hourly", rate_fen=3333)})
    for d in (9, 10, 11):  # three days of 7 minutes: 7 × 3333/60 = 388.85 fen each
        store_punches(db, SITE, shift("W1", f"2025-06-{d:02d} 08:00", f"2025-06-{d:02d} 08:07"))
    # one long day: 480 × 55.55 = 26664 plain, 67 × 55.55 × 1.5 = 5582.775 extended
    store_punches(db, SITE, shift("W1", "2025-06-12 08:00", "2025-06-12 17:07"))
    line = line_of(db, SITE, "2025-06", "W1")
    # exact: 3 × 388.85 + 26664 + 5582.775 = 33413.325 → 33413 (per-day flooring: 33410)
    assert line["gross_fen"] == 33413
    # parts: plain 501 min = 27830.55 exact, extended 5582.775; shares add up to the gross
    assert (line["plain_fen"], line["extended_fen"]) == (27830, 5583)
    assert sum(d["money_fen"] for d in days_of(db, line)) == 33413  # type: ignore[misc]


# --- a worker who came to the gate never disappears ------------------------------------


def test_flagged_only_punches_still_give_a_line_or_a_warning(site) -> None:  # type: ignore[no-untyped-def]
    db, _, _ = site
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])  # never went out
    store_punches(db, SITE, [("W9", "out", local("2025-06-11 17:00"))])  # not employed here
    batch = batches.compute(db, SITE, "2025-06", "boss")
    with db.engine.connect() as conn:
        (line,) = batches.lines(conn, int(batch["id"]))  # type: ignore[call-overload]
    assert (line["worker_id"], line["gross_fen"], line["attended_days"]) == ("W1", 0, 0)
    (day,) = days_of(db, line)
    assert (day["flags"], day["money_fen"]) == ("missing_out", 0)
    assert "not paid" in str(day["note"]) and "missing_out" in str(day["note"])
    closing.close(db, SITE, "month", "2025-06", "boss")
    batches.approve(db, int(batch["id"]), "boss")  # type: ignore[call-overload]
    scan(db, date(2025, 6, 20))
    (warning,) = warnings_of(db, "attendance_without_pay_line")
    assert warning["subject"].startswith("W9 ")  # type: ignore[union-attr]


# --- compensatory rest -----------------------------------------------------------------


def test_confirmed_compensatory_rest_replaces_the_rest_day_premium(site) -> None:  # type: ignore[no-untyped-def]
    db, _, _ = site
    store_punches(db, SITE, shift("W1", "2025-06-14 08:00", "2025-06-14 16:00"))  # Saturday
    # without compensatory rest: 480 × 50 × 2 = 48000
    assert line_of(db, SITE, "2025-06", "W1")["gross_fen"] == 48000
    rest = record_rest(db, SITE, "W1", date(2025, 6, 14), date(2025, 6, 16), "swap", BOSS)
    assert line_of(db, SITE, "2025-06", "W1")["gross_fen"] == 48000  # not yet confirmed
    with pytest.raises(NotFound):
        confirm_rest(db, int(rest["id"]), "W2", Actor("W2", "worker"))  # type: ignore[call-overload]
    confirm_rest(db, int(rest["id"]), "W1", Actor("W1", "worker"))  # type: ignore[call-overload]
    line = line_of(db, SITE, "2025-06", "W1")
    # with it: 480 × 50 = 24000, paid as workday minutes
    assert (line["gross_fen"], line["compensated_minutes"], line["ot_restday_minutes"]) == (
        24000,
        480,
        0,
    )
    with pytest.raises(InvalidInput, match="holiday"):  # 1 Oct is paid ×3 in every case
        record_rest(db, SITE, "W1", date(2025, 10, 1), date(2025, 10, 9), None, BOSS)
    with pytest.raises(Conflict):
        record_rest(db, SITE, "W1", date(2025, 6, 14), date(2025, 6, 17), None, BOSS)


# --- art. 41 limits and the minimum wage ------------------------------------------------


def test_overtime_beyond_art_41_limits_raises_warnings(site) -> None:  # type: ignore[no-untyped-def]
    db, _, _ = site
    # Mon 9 June 07:00–19:30: 750 min, 270 extended > 180 a day
    store_punches(db, SITE, shift("W1", "2025-06-09 07:00", "2025-06-09 19:30"))
    # 13 more workdays of 11 h: 180 extended each (at the limit, no daily warning)
    for d in (3, 4, 5, 6, 10, 11, 12, 13, 16, 17, 18, 19, 20):
        store_punches(db, SITE, shift("W2", f"2025-06-{d:02d} 07:00", f"2025-06-{d:02d} 18:00"))
    w1 = line_of(db, SITE, "2025-06", "W1")
    assert w1["ot_workday_minutes"] == 270
    (day,) = warnings_of(db, "overtime_daily_limit")
    assert day["evidence"]["date"] == "2025-06-09" and day["evidence"]["extended_minutes"] == 270  # type: ignore[index]
    (month,) = warnings_of(db, "overtime_monthly_limit")
    # W2: 13 × 180 = 2340 min > 36 h = 2160 min
    assert month["subject"].startswith("W2 ") and month["evidence"]["overtime_minutes"] == 2340  # type: ignore[index,union-attr]


def test_a_line_below_the_hourly_minimum_wage_raises_a_warning(tmp_path: Path) -> None:
    from central.payroll.minimum_wage import set_minimum_wage

    db, sealer = new_db(tmp_path)
    low, fair = (
        PayTerms(pay_kind="daily", rate_fen=15000),
        PayTerms(pay_kind="hourly", rate_fen=2600),
    )
    registered_project(db, sealer, SITE, {"W1": low, "W2": fair})
    set_minimum_wage(db, SITE, 2400, BOSS)  # 24 yuan an hour
    store_punches(db, SITE, shift("W1", "2025-06-09 08:00", "2025-06-09 16:00"))
    store_punches(db, SITE, shift("W2", "2025-06-09 08:00", "2025-06-09 16:00"))
    batches.compute(db, SITE, "2025-06", "boss")
    (warning,) = warnings_of(db, "below_minimum_wage")
    # W1: 15000 fen a day / 8 h = 1875 fen an hour < 2400; W2 at 2600 is above it
    assert warning["subject"].startswith("W1 ")  # type: ignore[union-attr]
    assert warning["evidence"]["fen_per_hour"] == 1875  # type: ignore[index]
    assert warning["evidence"]["minimum_fen_per_hour"] == 2400  # type: ignore[index]


def test_days_stored_before_intervals_were_kept_gain_them_without_a_reported_change(site) -> None:  # type: ignore[no-untyped-def]
    """After the upgrade no approved month is flagged as changed just because its days now
    keep their intervals."""
    from factories import SHANGHAI

    from central.attendance.days import refresh

    db, _, _ = site
    store_punches(db, SITE, shift("W1", "2025-06-09 20:00", "2025-06-10 02:00"))
    june = (date(2025, 6, 1), date(2025, 6, 30))
    refresh(db, SITE, SHANGHAI, *june)
    t = schema.attendance_days
    with db.begin() as conn:
        conn.execute(t.update().values(intervals=None))  # as stored before the upgrade
    assert refresh(db, SITE, SHANGHAI, *june) == []
    with db.engine.connect() as conn:
        (kept,) = conn.execute(select(t.c.intervals)).scalars()
    assert json.loads(kept) == [["2025-06-09T20:00:00+08:00", "2025-06-10T02:00:00+08:00"]]
