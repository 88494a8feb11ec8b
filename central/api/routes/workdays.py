"""Attendance days (derived from events) and their manual corrections over HTTP."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from central.api.deps import DbDep
from central.attendance import days as attendance_days
from central.attendance.periods import month_range
from central.attendance.refresh import refresh_month
from central.auth.deps import CurrentUser
from central.auth.scope import require_project, require_worker
from central.auth.users import Role
from central.registry.organisations import project_zone
from central.storage import schema

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["attendance days"])


@router.get("/attendance-days")
def list_days(
    project_id: str,
    db: DbDep,
    who: CurrentUser,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    worker_id: str | None = None,
) -> list[dict[str, object]]:
    """One row per worker per local date; late events are folded in before answering."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        if who.role is Role.WORKER:
            worker_id = who.worker_id
    refresh_month(db, project_id, month)
    first, last = month_range(month)
    d = schema.attendance_days.c
    q = select(schema.attendance_days).where(
        d.project_id == project_id,
        d.local_date >= first.isoformat(),
        d.local_date <= last.isoformat(),
    )
    if worker_id:
        q = q.where(d.worker_id == worker_id)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(d.worker_id, d.local_date))]


class CorrectionIn(BaseModel):
    worked_minutes: Annotated[int, Field(ge=0, le=24 * 60)]
    first_in: AwareDatetime | None = None
    last_out: AwareDatetime | None = None
    reason: Annotated[str, Field(min_length=3, max_length=500)]


@router.post("/attendance-days/{worker_id}/{day}/corrections", status_code=201)
def correct(
    project_id: str, worker_id: str, day: date, body: CorrectionIn, db: DbDep, who: CurrentUser
) -> dict[str, object]:
    """Set a day's worked time, with a reason; the before/after goes to the audit log."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, Role.SITE_MANAGER)
        require_worker(conn, who, worker_id)
        zone = project_zone(conn, project_id)
    return attendance_days.correct_day(
        db,
        project_id,
        zone,
        worker_id,
        day,
        worked_minutes=body.worked_minutes,
        first_in=body.first_in,
        last_out=body.last_out,
        reason=body.reason,
        by_user=who.username,
    )


@router.get("/corrections")
def list_corrections(
    project_id: str, db: DbDep, who: CurrentUser, worker_id: str | None = None
) -> list[dict[str, object]]:
    """The append-only audit log of corrections (who, when, before/after, why)."""
    c = schema.attendance_corrections.c
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        if who.role is Role.WORKER:
            worker_id = who.worker_id
        q = select(schema.attendance_corrections).where(c.project_id == project_id)
        if worker_id:
            q = q.where(c.worker_id == worker_id)
        return [dict(r._mapping) for r in conn.execute(q.order_by(c.id))]
