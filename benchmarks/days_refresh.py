"""What keeping attendance days current costs: the refresh after each ingest batch, against
refreshing a whole project-month (what a read of the days used to do before answering).

One project of ``--workers`` workers with two check-ins per worker-day for ``--days`` days,
inserted straight into the ``attendance`` projection as ingest would have (setup, not timed).
Then, timed: the first full refresh of the month; a refresh after one ingest batch of 500
workers' exits on one day (central/attendance/refresh.py ``refresh_touched``); a refresh of the
month with nothing new; a refresh after one single event.
Run: ``.venv/bin/python benchmarks/days_refresh.py [--workers N] [--days D]``.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from central.attendance.refresh import refresh_month, refresh_touched
from central.clock import utc_us
from central.registry.organisations import (
    EnterpriseIn,
    ProjectIn,
    create_enterprise,
    create_project,
)
from central.storage import Database, schema

ZONE = ZoneInfo("Asia/Shanghai")
SITE, MONTH = "site-bench", "2025-06"


def timed(label: str, fn: Callable[[], object]) -> None:
    start = time.perf_counter()
    fn()
    print(f"  {label:<58} {time.perf_counter() - start:8.3f} s", flush=True)


def punch(worker: str, direction: str, at: datetime) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "site": SITE,
        "device": "gate-1",
        "worker_id": worker,
        "direction": direction,
        "method": "face",
        "distance": 0.3,
        "liveness": "not_checked",
        "captured_at": at.isoformat(),
        "captured_utc_us": utc_us(at),
        "local_date": at.date().isoformat(),
        "received_at": at.isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--days", type=int, default=20)
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}"
    )
    db = Database(str(Path(tempfile.mkdtemp()) / "central.db"))
    db.upgrade()
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
    rows = []
    for day in range(1, args.days + 1):
        for n in range(args.workers):
            rows.append(punch(f"W{n}", "in", datetime(2025, 6, day, 8, 0, tzinfo=ZONE)))
            rows.append(punch(f"W{n}", "out", datetime(2025, 6, day, 17, 0, tzinfo=ZONE)))
    with db.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(schema.attendance.insert(), rows[start : start + 5000])
    print(f"{args.workers} workers x {args.days} days = {len(rows):,} check-ins")
    timed("first refresh of the whole month", lambda: refresh_month(db, SITE, MONTH))
    late = datetime(2025, 6, args.days + 1, 17, 0, tzinfo=ZONE)
    batch = [punch(f"W{n}", "out", late) for n in range(min(500, args.workers))]
    with db.begin() as conn:
        conn.execute(schema.attendance.insert(), batch)
    touched = [(SITE, str(b["worker_id"]), str(b["local_date"])) for b in batch]
    timed(
        f"after an ingest batch of {len(batch)} workers' events",
        lambda: refresh_touched(db, touched),
    )
    timed("refresh of the month with nothing new", lambda: refresh_month(db, SITE, MONTH))
    one = punch("W1", "in", datetime(2025, 6, args.days + 2, 8, 0, tzinfo=ZONE))
    with db.begin() as conn:
        conn.execute(schema.attendance.insert(), [one])
    timed(
        "after an ingest batch of one event",
        lambda: refresh_touched(db, [(SITE, "W1", str(one["local_date"]))]),
    )
    db.close()


if __name__ == "__main__":
    main()
