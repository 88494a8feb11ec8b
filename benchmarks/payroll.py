"""Payroll at project and regional scale: attendance events → days → payroll lines → bank file.

Prints seconds and rows per second for each stage, for one project of 5,000 workers × 30
days and for a region of 100,000 workers × 30 days (20 projects of 5,000), on this machine.
The figures only mean something side by side (compare the two scales in one run: per-row
rates should stay flat if the work is linear).

Setup (registering workers and inserting two check-ins per worker-day straight into the
``attendance`` projection, as ingest would have) is timed separately and not part of the
payroll figures. Run: ``.venv/bin/python benchmarks/payroll.py [--region-workers N]``.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stdnum import luhn
from stdnum.cn import ric

from central.attendance import closing
from central.attendance.refresh import refresh_month
from central.clock import utc_us
from central.payroll import bankfiles, batches
from central.registry.organisations import (
    EnterpriseIn,
    ProjectIn,
    create_enterprise,
    create_project,
)
from central.registry.sealing import Sealer
from central.registry.validation import mask
from central.registry.workers import CARD_CONTEXT, ID_CONTEXT
from central.storage import Database, schema
from central.wages.rules import PayTerms

ZONE = ZoneInfo("Asia/Shanghai")
MONTH, FIRST = "2025-06", date(2025, 6, 1)
USCC = "91350100M000100Y43"
TERMS = (
    PayTerms(pay_kind="daily", rate_fen=36000).model_dump_json(),
    PayTerms(pay_kind="hourly", rate_fen=3000).model_dump_json(),
)


def timed(label: str, rows: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    took = time.perf_counter() - start
    print(
        f"  {label:<34} {took:8.2f} s  {rows:>10,} rows  {rows / took:>12,.0f} rows/s", flush=True
    )
    return took


def setup(db: Database, sealer: Sealer, projects: int, per_project: int) -> int:
    """Register ``projects`` × ``per_project`` workers with 30 days of in/out check-ins."""
    contractor = create_enterprise(
        db, EnterpriseIn(name="总包", uscc=USCC, kind="general_contractor")
    )
    events = 0
    for p in range(projects):
        site = f"site-{p:03d}"
        create_project(
            db,
            ProjectIn(id=site, name=site, contractor_id=contractor["id"], division_code="450102"),  # type: ignore[arg-type]
        )
        db.add_device(site, "gate-1", "00" * 32)
        workers, employments, attendance = [], [], []
        for n in range(per_project):
            k = p * per_project + n
            worker_id = f"W{k:07d}"
            d = k // 1000 % 336  # birth date and sequence: unique up to 336,000 × 30 people
            birth = f"{1970 + k // 336_000 % 30:04d}{d // 28 + 1:02d}{d % 28 + 1:02d}"
            body = f"110105{birth}{k % 1000:03d}"
            id_number = body + ric.calc_check_digit(body + "0")
            card = f"621700{k:012d}"
            card += luhn.calc_check_digit(card)
            workers.append(
                {
                    "id": worker_id,
                    "name": f"工人{k}",
                    "id_number_sealed": sealer.seal(id_number.encode(), ID_CONTEXT),
                    "id_number_hash": sealer.lookup_hash(id_number, ID_CONTEXT),
                    "id_number_masked": mask(id_number),
                    "card_sealed": sealer.seal(card.encode(), CARD_CONTEXT),
                    "card_hash": sealer.lookup_hash(card, CARD_CONTEXT),
                    "card_masked": mask(card, 4, 4),
                    "bank": "中国农业银行",
                    "card_valid": 1,
                    "created_at": "2025-05-01T00:00:00+08:00",
                }
            )
            employments.append(
                {
                    "worker_id": worker_id,
                    "project_id": site,
                    "employer_id": contractor["id"],
                    "start_date": "2025-05-01",
                    "terms": TERMS[k % 2],
                    "created_at": "2025-05-01T00:00:00+08:00",
                }
            )
            for d in range(30):
                day = FIRST + timedelta(days=d)
                start = datetime(day.year, day.month, day.day, 7 + k % 3, 0, tzinfo=ZONE)
                end = start + timedelta(minutes=420 + (k * 7 + d * 13) % 240)
                for direction, moment in (("in", start), ("out", end)):
                    attendance.append(
                        {
                            "event_id": f"{k:08d}-{d:02d}-{direction}",
                            "site": site,
                            "device": "gate-1",
                            "worker_id": worker_id,
                            "direction": direction,
                            "method": "face",
                            "distance": 0.3,
                            "liveness": "passed",
                            "captured_at": moment.isoformat(),
                            "captured_utc_us": utc_us(moment),
                            "local_date": day.isoformat(),
                            "received_at": "2025-07-01T00:00:00+00:00",
                        }
                    )
        with db.begin() as conn:
            conn.execute(schema.workers.insert(), workers)
            conn.execute(schema.employments.insert(), employments)
            for i in range(0, len(attendance), 20_000):
                conn.execute(schema.attendance.insert(), attendance[i : i + 20_000])
            # One stored event per gate, created after the month: the gate has reported past it.
            conn.execute(
                schema.events.insert().values(
                    event_id=f"horizon-{site}",
                    site=site,
                    device="gate-1",
                    seq=1,
                    kind="attendance",
                    created_at=datetime.now(UTC).isoformat(),
                    received_at=datetime.now(UTC).isoformat(),
                    payload="{}",
                )
            )
        events += len(attendance)
    return events


def run(label: str, projects: int, per_project: int, workdir: Path) -> dict[str, float]:
    print(f"\n{label}: {projects} project(s) × {per_project:,} workers × 30 days", flush=True)
    db = Database(str(workdir / f"{label}.db"))
    db.upgrade()
    sealer = Sealer.from_file(workdir / f"{label}.key")
    start = time.perf_counter()
    events = setup(db, sealer, projects, per_project)
    print(f"  (setup: {events:,} check-ins in {time.perf_counter() - start:.1f} s, not timed)")
    sites = [f"site-{p:03d}" for p in range(projects)]
    days = projects * per_project * 30
    ids: list[int] = []
    out = {
        "days": timed(
            "events → attendance days",
            days,
            lambda: [refresh_month(db, s, MONTH) for s in sites],
        ),
        "payroll": timed(
            "days → payroll lines (compute)",
            days,
            lambda: ids.extend(int(batches.compute(db, s, MONTH, "bench")["id"]) for s in sites),
        ),
    }
    for s, batch_id in zip(sites, ids, strict=True):
        closing.close(db, s, "month", MONTH, "bench")
        batches.approve(db, batch_id, "bench")
    lines = projects * per_project
    out["export"] = timed(
        "bank file (CSV, whole numbers)",
        lines,
        lambda: [
            bankfiles.export(db, sealer, b, workdir / f"{label}-{b}.csv", "bench") for b in ids
        ],
    )
    out["total"] = out["days"] + out["payroll"] + out["export"]
    print(
        f"  {'payroll total':<34} {out['total']:8.2f} s  {days:>10,} days  "
        f"{days / out['total']:>12,.0f} days/s"
    )
    db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-workers", type=int, default=5_000)
    parser.add_argument("--region-workers", type=int, default=100_000)
    parser.add_argument("--projects-in-region", type=int, default=20)
    args = parser.parse_args()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {python}, "
        f"{platform.platform()}; SQLite, one process"
    )
    with tempfile.TemporaryDirectory(prefix="sitegate-payroll-bench-") as tmp:
        project = run("project", 1, args.project_workers, Path(tmp))
        per = args.region_workers // args.projects_in_region
        region = run("region", args.projects_in_region, per, Path(tmp))
    ratio = region["total"] / project["total"]
    scale = (args.projects_in_region * per) / args.project_workers
    print(
        f"\nregion / project: {ratio:.1f}× the time for {scale:.0f}× the workers "
        f"({ratio / scale:.2f} per unit of scale; 1.00 = linear)"
    )


if __name__ == "__main__":
    main()
