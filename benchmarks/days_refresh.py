"""Events → attendance days, set-based (central/attendance/days_sql.py), against a plain read
of the same events, in one run.

One project of ``--workers`` workers over ``--days`` days of June 2025, two check-ins per
worker-day, loaded straight into the ``attendance`` projection as ingest would have (setup,
not timed). The mix is a real site's: most workers on day shifts with varied times to the
second, every tenth on night shifts that cross midnight (their days keep intervals), and
every fiftieth with a day missing its exit (paired by ``build_days`` in Python). Timed:

* a plain ``SELECT`` of the month's events of the project, every row fetched into Python
  (what pairing in Python would start from), after one untimed warm-up read;
* the first refresh of the whole month (``refresh_month``: every day new), days/s, and its
  ratio to the plain read;
* the same days paired in Python (``days.compute``: what refresh did before, without its
  writes), up to 20,000 workers;
* the month recomputed whole again with nothing new (nothing written: what compute and
  approve did every time, and still do when a mark of a failed refresh survives), and
  ``refresh_month`` with nothing new (no mark left: central/storage/days_pending.py);
* a refresh after an ingest batch of 500 workers' events (``refresh_touched``), and after one.

Run: ``.venv/bin/python benchmarks/days_refresh.py [--workers N] [--days D] [--engine pg|sqlite]``
(PostgreSQL at ``SITEGATE_PG_ADMIN``, default postgresql://postgres@127.0.0.1:5432/postgres; a
throwaway database is created and dropped).
"""

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import PG_ADMIN_URL, ZONE, machine, postgres_database
from sqlalchemy import text

from central.attendance import days as attendance_days
from central.attendance.refresh import refresh_month, refresh_touched
from central.clock import utc_us
from central.registry.organisations import (
    EnterpriseIn,
    ProjectIn,
    create_enterprise,
    create_project,
)
from central.storage import Database, schema

SITE, MONTH = "site-bench", "2025-06"
COLUMNS = (
    "event_id",
    "site",
    "device",
    "worker_id",
    "direction",
    "method",
    "distance",
    "liveness",
    "captured_at",
    "captured_utc_us",
    "local_date",
    "received_at",
)
T = TypeVar("T")


def timed(label: str, fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    print(f"  {label:<62} {took:8.3f} s", flush=True)
    return result, took


def event(worker: int, direction: str, at: datetime) -> tuple[object, ...]:
    stamp = at.isoformat()
    return (
        str(uuid.uuid4()),
        SITE,
        "gate-1",
        f"W{worker:06d}",
        direction,
        "face",
        0.3,
        "not_checked",
        stamp,
        utc_us(at),
        stamp[:10],
        stamp,
    )


def month_events(workers: int, days: int) -> Iterator[tuple[object, ...]]:
    """Two check-ins per worker-day: day shifts, night shifts, and a few missed exits."""
    for day in range(1, days + 1):
        midnight = datetime(2025, 6, day, tzinfo=ZONE)
        for n in range(workers):
            if n % 10 == 0:  # night shift, 20:00-ish to 04:30-ish the next morning
                start = midnight + timedelta(hours=20, seconds=(n * 37) % 1800)
                end = start + timedelta(hours=8, minutes=30, seconds=(n * 11) % 600)
            else:
                start = midnight + timedelta(hours=7, minutes=30, seconds=(n * 37) % 3600)
                end = start + timedelta(hours=9, seconds=(n * 53 + day * 7) % 5400)
            yield event(n, "in", start)
            if not (n % 50 == 1 and day == 5):  # every fiftieth forgets to check out once
                yield event(n, "out", end)


def load(db: Database, rows: Iterator[tuple[object, ...]]) -> int:
    """Setup: the events into ``attendance`` (COPY on PostgreSQL), then statistics."""
    count = 0
    if db.dialect == "postgresql":
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY attendance ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
                    count += 1
            raw.commit()
        finally:
            raw.close()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE attendance"))
        return count
    batch: list[dict[str, object]] = []
    with db.begin() as conn:
        for row in rows:
            batch.append(dict(zip(COLUMNS, row, strict=True)))
            count += 1
            if len(batch) == 20_000:
                conn.execute(schema.attendance.insert(), batch)
                batch = []
        if batch:
            conn.execute(schema.attendance.insert(), batch)
    return count


def plain_read(db: Database, first: date, last: date) -> int:
    """The month's events of the project, every row into Python."""
    q = text(
        "SELECT worker_id, captured_at, direction, event_id FROM attendance"
        " WHERE site = :site AND local_date BETWEEN :first AND :last"
    )
    with db.engine.connect() as conn:
        result = conn.execute(
            q, {"site": SITE, "first": first.isoformat(), "last": last.isoformat()}
        )
        n = 0
        for _row in result:
            n += 1
    return n


def register(db: Database) -> None:
    contractor = create_enterprise(
        db, EnterpriseIn(name="总包", uscc="91350100M000100Y43", kind="general_contractor")
    )
    create_project(
        db,
        ProjectIn.model_validate(
            {
                "id": SITE,
                "name": "bench",
                "contractor_id": contractor["id"],
                "division_code": "450102",
            }
        ),
    )


def run(db: Database, workers: int, days: int) -> None:
    db.upgrade()
    register(db)
    start = time.perf_counter()
    count = load(db, month_events(workers, days))
    setup = time.perf_counter() - start
    print(f"{workers:,} workers x {days} days = {count:,} check-ins (setup {setup:.0f} s)")
    first, last = date(2025, 6, 1), date(2025, 6, days)
    plain_read(db, first, last)  # warm the cache for both
    read_rows, read_s = timed(
        "plain SELECT of those events into Python", lambda: plain_read(db, first, last)
    )
    print(f"  ({read_rows:,} events read: those dated in the month)")
    changed, refresh_s = timed(
        "events -> days: first refresh of the month", lambda: refresh_month(db, SITE, MONTH)
    )
    print(
        f"  => {len(changed):,} days, {len(changed) / refresh_s:,.0f} days/s, "
        f"{refresh_s / read_s:.2f}x the plain read"
    )
    if workers <= 20_000:  # the old way takes minutes beyond that

        def python_pairing() -> int:
            with db.engine.connect() as conn:
                return len(attendance_days.compute(conn, SITE, ZONE, first, last))

        _, python_s = timed(
            "the same days paired in Python (compute only, no write)", python_pairing
        )
        print(f"  => set-based refresh incl. writing = {refresh_s / python_s:.2f}x Python pairing")
    again, _ = timed(
        "the month recomputed whole with nothing new",
        lambda: attendance_days.refresh(db, SITE, ZONE, first, last),
    )
    assert again == []
    again, _ = timed(
        "refresh_month with nothing new (no mark: skipped)", lambda: refresh_month(db, SITE, MONTH)
    )
    assert again == []
    late = datetime(2025, 6, days, 23, 0, tzinfo=ZONE)
    batch = [event(n, "out", late + timedelta(seconds=n)) for n in range(min(500, workers))]
    with db.begin() as conn:
        conn.execute(
            schema.attendance.insert(), [dict(zip(COLUMNS, r, strict=True)) for r in batch]
        )
    touched = [(SITE, str(b[3]), str(b[10])) for b in batch]
    timed(
        f"after an ingest batch of {len(batch)} workers' events",
        lambda: refresh_touched(db, touched),
    )
    one = event(1, "in", datetime(2025, 6, days, 23, 30, tzinfo=ZONE))
    with db.begin() as conn:
        conn.execute(schema.attendance.insert(), [dict(zip(COLUMNS, one, strict=True))])
    timed(
        "after an ingest batch of one event",
        lambda: refresh_touched(db, [(SITE, str(one[3]), str(one[10]))]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--engine", choices=["pg", "sqlite"], default="pg")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"run at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, engine {args.engine}")
    if args.engine == "sqlite":
        db = Database(str(Path(tempfile.mkdtemp()) / "central.db"))
        run(db, args.workers, args.days)
        db.close()
        return
    with postgres_database(PG_ADMIN_URL, f"sitegate_bench_days_{args.workers}") as url:
        db = Database(url)
        with db.engine.connect() as conn:
            print("PostgreSQL", conn.execute(text("SHOW server_version")).scalar())
        try:
            run(db, args.workers, args.days)
        finally:
            db.close()


if __name__ == "__main__":
    main()
