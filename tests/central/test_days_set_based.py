"""The set-based refresh (central/attendance/days_sql.py) stores exactly the days that the
pure-Python path (``build_days`` per worker, ``_row`` per day: ``days.compute``) gives.

Random punch streams for a few workers, on SQLite and on PostgreSQL: regular day and night
shifts, shifts longer than the limit, stray and repeated punches, punches across the range's
edges and outside the loaded window, stamps whose text carries another offset or
microseconds, zones with and without a daylight-saving change, and manual corrections. Then
more events, and a refresh of some workers only: what changed is reported, the rest is not
rewritten.
"""

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from central.attendance import days, days_sql
from central.clock import utc_us
from central.storage import Database, schema

SITE = "site-a"
WORKERS = ("W1", "W2", "W3", "W4")
# (zone, first day of the loaded stretch): Berlin in March changes its offset in the window.
PLACES = [
    (ZoneInfo("Asia/Shanghai"), date(2025, 6, 8)),
    (ZoneInfo("UTC"), date(2025, 6, 8)),
    (ZoneInfo("Europe/Berlin"), date(2025, 6, 8)),
    (ZoneInfo("Europe/Berlin"), date(2025, 3, 28)),
]
_ids = iter(range(10**9))

minute = st.integers(0, 7 * 24 * 60)  # seven days from the stretch's first midnight
# start minute, length in seconds (up to 18 h: some past the 16 h limit), start second
length = st.one_of(st.integers(0, 18 * 3600), st.sampled_from([16 * 3600, 16 * 3600 + 1]))
shift = st.tuples(minute, length, st.integers(0, 59))
noise = st.one_of(
    st.tuples(st.just("repeat"), st.integers(0, 9), st.integers(0, 900)),  # two gates, or not
    st.tuples(st.just("drop"), st.integers(0, 9), st.just(0)),  # a missed punch
    st.tuples(st.sampled_from(["in", "out"]), minute, st.just(0)),  # a stray punch
)
style = st.sampled_from(["site"] * 6 + ["utc", "micro"])  # how the gate wrote captured_at
stream = st.tuples(
    st.lists(shift, max_size=5),
    st.one_of(st.just([]), st.lists(noise, max_size=3)),
    style,
)


def punch_rows(
    worker: str, spec: tuple[list[Any], list[Any], str], zone: ZoneInfo, first: date
) -> list[dict[str, object]]:
    """Shifts that do not overlap become in/out pairs; then the noise, as it comes."""
    shifts, noises, how = spec
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    punches: list[tuple[str, datetime]] = []
    busy_until = None
    for begin, length, second in sorted(shifts):
        at = start + timedelta(minutes=begin, seconds=second)
        if busy_until is not None and at <= busy_until:
            continue
        busy_until = at + timedelta(seconds=length)
        punches += [("in", at), ("out", busy_until)]
    for kind, where, seconds in noises:
        if kind == "repeat" and punches:
            direction, at = punches[where % len(punches)]
            punches.append((direction, at + timedelta(seconds=seconds)))
        elif kind == "drop" and punches:
            del punches[where % len(punches)]
        elif kind in ("in", "out"):
            punches.append((kind, start + timedelta(minutes=where)))
    stamps = []
    for n, (direction, moment) in enumerate(punches):
        at = moment.astimezone(zone)  # what a gate in the zone stamps
        if how == "utc":
            at = at.astimezone(UTC)
        elif how == "micro":
            at = at + timedelta(microseconds=(n * 137_531) % 1_000_000)
        stamps.append((direction, at))
    return event_rows(worker, stamps)


def event_rows(worker: str, punches: Sequence[tuple[str, datetime]]) -> list[dict[str, object]]:
    """Attendance rows as ingest stores them, ``captured_at`` as the gate wrote it."""
    return [
        {
            "event_id": f"e{next(_ids):09d}",
            "site": SITE,
            "device": "gate-1",
            "worker_id": worker,
            "direction": direction,
            "method": "face",
            "distance": 0.3,
            "liveness": "not_checked",
            "captured_at": at.isoformat(),
            "captured_utc_us": utc_us(at),
            "local_date": at.date().isoformat(),  # the gate's date, as ingest stores it
            "received_at": at.isoformat(),
        }
        for direction, at in punches
    ]


correction = st.tuples(
    st.sampled_from(WORKERS), st.integers(1, 5), st.integers(0, 720), st.booleans()
)


def add_corrections(
    db: Database, fixes: Sequence[tuple[str, int, int, bool]], zone: ZoneInfo, first: date
) -> None:
    rows = []
    for n, (worker, day_no, minutes, with_time) in enumerate(fixes):
        day = first + timedelta(days=day_no)
        at = datetime(day.year, day.month, day.day, 22, tzinfo=zone) if with_time else None
        after = {"first_in": at.isoformat() if at else None, "worked_minutes": minutes}
        after["last_out"] = None
        rows.append(
            {
                "project_id": SITE,
                "worker_id": worker,
                "local_date": day.isoformat(),
                "before": "{}",
                "after": json.dumps(after),
                "reason": f"fix {n}",
                "by_user": "clerk",
                "at": "2025-07-01T09:00:00+08:00",
            }
        )
    if rows:
        with db.begin() as conn:
            conn.execute(schema.attendance_corrections.insert(), rows)


def store(db: Database, rows: list[dict[str, object]]) -> None:
    if rows:
        with db.begin() as conn:
            conn.execute(schema.attendance.insert(), rows)


def stored(db: Database) -> dict[tuple[str, str], dict[str, object]]:
    with db.engine.connect() as conn:
        found = conn.execute(select(schema.attendance_days)).mappings().all()
    return {(r["worker_id"], r["local_date"]): dict(r) for r in found}


def python_days(
    db: Database, zone: ZoneInfo, first: date, last: date, workers: Sequence[str] | None = None
) -> dict[tuple[str, str], dict[str, object]]:
    """What ``build_days`` and ``_row`` make, every worker through Python."""
    with db.engine.connect() as conn:
        return days.compute(conn, SITE, zone, first, last, workers)


def without_stamp(rows: dict[Any, dict[str, object]]) -> dict[Any, dict[str, object]]:
    return {k: {c: v for c, v in r.items() if c != "computed_at"} for k, r in rows.items()}


def plain(row: dict[str, object] | None) -> dict[str, object] | None:
    return None if row is None else {c: v for c, v in row.items() if c != "computed_at"}


def clear(db: Database) -> None:
    with db.begin() as conn:
        for table in (schema.attendance, schema.attendance_days, schema.attendance_corrections):
            conn.execute(delete(table))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    place=st.sampled_from(PLACES),
    first_streams=st.lists(stream, min_size=len(WORKERS), max_size=len(WORKERS)),
    fixes=st.lists(correction, max_size=2),
    late_streams=st.lists(stream, min_size=len(WORKERS), max_size=len(WORKERS)),
    scope=st.one_of(st.none(), st.lists(st.sampled_from(WORKERS), min_size=1, unique=True)),
)
def test_set_based_refresh_stores_what_build_days_gives(
    database: Database,
    place: tuple[ZoneInfo, date],
    first_streams: list[Any],
    fixes: list[tuple[str, int, int, bool]],
    late_streams: list[Any],
    scope: list[str] | None,
) -> None:
    db = database
    zone, stretch = place
    first, last = stretch + timedelta(days=2), stretch + timedelta(days=4)
    clear(db)
    for worker, spec in zip(WORKERS, first_streams, strict=True):
        store(db, punch_rows(worker, spec, zone, stretch))
    add_corrections(db, fixes, zone, stretch)

    changed = days.refresh(db, SITE, zone, first, last)
    want = python_days(db, zone, first, last)
    case = (zone, stretch, first_streams, fixes)
    assert without_stamp(stored(db)) == without_stamp(want), case
    assert changed == sorted(want)
    assert days.refresh(db, SITE, zone, first, last) == []  # nothing new: nothing changed

    # Late events (sometimes only strays, sometimes nothing), then a refresh of some workers.
    with db.begin() as conn:
        conn.execute(update(schema.attendance_days).values(computed_at="before"))
    before = stored(db)
    for worker, spec in zip(WORKERS, late_streams, strict=True):
        store(db, punch_rows(worker, (spec[0][:1], spec[1], spec[2]), zone, stretch))
    changed = days.refresh(db, SITE, zone, first, last, scope)
    after = stored(db)
    in_scope = set(WORKERS if scope is None else scope)
    want = python_days(db, zone, first, last, sorted(in_scope))
    assert without_stamp({k: r for k, r in after.items() if k[0] in in_scope}) == without_stamp(
        want
    )
    assert {k: r for k, r in after.items() if k[0] not in in_scope} == {
        k: r for k, r in before.items() if k[0] not in in_scope
    }
    differ = sorted(
        k for k in set(before) | set(after) if plain(before.get(k)) != plain(after.get(k))
    )
    assert changed == differ
    assert all(after[k]["computed_at"] == "before" for k in after if k not in differ)


def test_only_the_irregular_workers_reach_build_days(database: Database) -> None:
    """The bulk is paired by the database; each rule's edge sends a worker to Python."""
    db, zone = database, ZoneInfo("Asia/Shanghai")

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=zone)

    def pairs(*shifts: tuple[str, str]) -> list[tuple[str, datetime]]:
        return [p for a, b in shifts for p in (("in", at(a)), ("out", at(b)))]

    regular = pairs(
        ("2025-06-10 08:00", "2025-06-10 17:00"), ("2025-06-11 21:00:05", "2025-06-12 05:00:05")
    )
    cases = {
        "W1": regular,
        # whole seconds per interval, then minutes: 29.6 s + 30.6 s is 59 s, 0 minutes
        "W2": pairs(
            ("2025-06-10 08:00:00.2", "2025-06-10 08:00:29.8"),
            ("2025-06-10 09:00:00.2", "2025-06-10 09:00:30.8"),
        ),
        "W3": pairs(("2025-06-10 00:00", "2025-06-10 16:00")),  # exactly the limit: paired
        "W4": pairs(("2025-06-10 00:00", "2025-06-10 16:00:01")),  # past it: two lone punches
        "W5": [*regular, ("in", at("2025-06-10 08:05"))],  # two gates, one entry
        "W6": [*regular, ("out", at("2025-06-10 17:05"))],  # an exit twice
        "W7": regular[1:],  # the entry missed
    }
    for worker, punches in cases.items():
        store(db, event_rows(worker, punches))
    utc = [(d, moment.astimezone(UTC)) for d, moment in regular]  # a gate set to UTC
    store(db, event_rows("W8", utc))
    asked: list[Sequence[str] | None] = []

    def fallback(conn: Any, workers: Sequence[str] | None) -> Any:
        asked.append(workers)
        return days.compute(conn, SITE, zone, date(2025, 6, 10), date(2025, 6, 12), workers)

    changed = days_sql.refresh(
        db,
        SITE,
        zone,
        date(2025, 6, 10),
        date(2025, 6, 12),
        None,
        max_shift=days.MAX_SHIFT,
        stamp="now",
        fallback=fallback,
    )
    assert asked == [["W4", "W5", "W6", "W7", "W8"]]
    got = stored(db)
    assert without_stamp(got) == without_stamp(
        python_days(db, zone, date(2025, 6, 10), date(2025, 6, 12))
    )
    assert changed == sorted(got)
    assert got[("W1", "2025-06-10")]["intervals"] is None
    night = got[("W1", "2025-06-11")]
    assert (night["worked_minutes"], night["event_count"], night["status"]) == (480, 2, "complete")
    assert json.loads(str(night["intervals"])) == [
        ["2025-06-11T21:00:05+08:00", "2025-06-12T05:00:05+08:00"]
    ]
    assert (
        got[("W2", "2025-06-10")]["worked_minutes"],
        got[("W3", "2025-06-10")]["worked_minutes"],
    ) == (0, 960)
    assert got[("W2", "2025-06-10")]["last_out"] == "2025-06-10T09:00:30.800000+08:00"


def test_a_zone_whose_offset_changes_in_the_range_is_paired_in_python() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert days_sql.fixed_offset(berlin, date(2025, 3, 28), date(2025, 4, 2)) is None
    assert days_sql.fixed_offset(berlin, date(2025, 6, 1), date(2025, 6, 30)) == "+02:00"
    assert (
        days_sql.fixed_offset(ZoneInfo("Asia/Shanghai"), date(2025, 6, 1), date(2025, 6, 30))
        == "+08:00"
    )
