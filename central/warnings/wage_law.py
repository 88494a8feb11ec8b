"""Warnings a computed month raises by the Labour Law: overtime beyond art. 41's limits and pay
below the project's hourly minimum wage.

Raised when the batch is computed (and again on each recomputation: one warning per fact, so
nothing is duplicated). Overtime is counted per employer over all its projects, which is why
the same long day seen from two projects' batches is one warning.
"""

from datetime import date
from typing import Protocol

from sqlalchemy import Connection

from central.warnings.store import Raised, raise_many


class MonthFindings(Protocol):
    """What a computed month found against the law (central.payroll.compute.Computed has it);
    described here so payroll calls down into warnings and nothing points back up."""

    long_days: list[tuple[str, int, date, int]]  # worker, employer, date, extended minutes
    long_months: list[tuple[str, int, int]]  # worker, employer, overtime minutes of the month
    below_minimum: list[tuple[str, int]]  # worker, paid fen per hour
    minimum_fen: int | None


def raise_for(
    conn: Connection, project_id: str, month: str, batch_id: int, computed: MonthFindings
) -> int:
    """Open a warning per long day, long month and underpaid line; returns how many are new.

    All at once (central/warnings/store.py ``raise_many``): a region's month can find
    overtime for every worker."""
    found: list[Raised] = []
    for worker_id, employer, day, minutes in computed.long_days:
        found.append(
            Raised(
                key=f"overtime_day:{employer}:{worker_id}:{day.isoformat()}",
                kind="overtime_daily_limit",
                severity="medium",
                project_id=project_id,
                worker_id=worker_id,
                params={"worker": worker_id, "minutes": minutes, "day": day.isoformat()},
                evidence={
                    "batch_id": batch_id,
                    "employer_id": employer,
                    "date": day.isoformat(),
                    "extended_minutes": minutes,
                },
            )
        )
    for worker_id, employer, minutes in computed.long_months:
        found.append(
            Raised(
                key=f"overtime_month:{employer}:{worker_id}:{month}",
                kind="overtime_monthly_limit",
                severity="medium",
                project_id=project_id,
                worker_id=worker_id,
                params={"worker": worker_id, "minutes": minutes, "month": month},
                evidence={
                    "batch_id": batch_id,
                    "employer_id": employer,
                    "overtime_minutes": minutes,
                },
            )
        )
    for worker_id, per_hour in computed.below_minimum:
        found.append(
            Raised(
                key=f"below_minimum:{batch_id}:{worker_id}",
                kind="below_minimum_wage",
                severity="high",
                project_id=project_id,
                worker_id=worker_id,
                params={"worker": worker_id, "per_hour_fen": per_hour, "month": month},
                evidence={
                    "batch_id": batch_id,
                    "month": month,
                    "fen_per_hour": per_hour,
                    "minimum_fen_per_hour": computed.minimum_fen,
                },
            )
        )
    return raise_many(conn, found)
