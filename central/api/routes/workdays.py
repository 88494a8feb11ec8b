"""Attendance days (derived from events) and their manual corrections over HTTP."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.attendance import AttendanceDayPublic, CorrectionPublic
from central.attendance import days as attendance_days
from central.attendance.periods import month_range
from central.auth.deps import CurrentUser
from central.auth.scope import (
    project_workers_filter,
    require_project,
    require_worker_on_project,
)
from central.auth.users import Role
from central.registry.organisations import project_zone
from central.storage import schema
from central.validation import FreeText, LocalDate, Month, ProjectId, WorkerIdText

router = APIRouter(
    prefix="/api/v1/projects/{project_id}",
    tags=["attendance days"],
    responses=error_responses(*AUTHENTICATED, 404),
)


@router.get("/attendance-days", response_model=list[AttendanceDayPublic])
def list_days(
    project_id: ProjectId,
    db: DbDep,
    who: CurrentUser,
    month: Annotated[Month, Query()],
    worker_id: WorkerIdText | None = None,
) -> list[AttendanceDayPublic]:
    """One row per worker per local date, as stored: a read never recomputes days (ingest
    keeps them current; see central/attendance/refresh.py)."""
    d = schema.attendance_days.c
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        reach = project_workers_filter(conn, who, project_id, d.worker_id)  # own workers only
    first, last = month_range(month)
    q = select(schema.attendance_days).where(
        d.project_id == project_id,
        d.local_date >= first.isoformat(),
        d.local_date <= last.isoformat(),
    )
    if reach is not None:
        q = q.where(reach)
    if worker_id:
        q = q.where(d.worker_id == worker_id)
    with db.engine.connect() as conn:
        rows = conn.execute(q.order_by(d.worker_id, d.local_date))
        return [AttendanceDayPublic.model_validate(dict(r._mapping)) for r in rows]


class CorrectionIn(BaseModel):
    worked_minutes: Annotated[int, Field(ge=0, le=24 * 60)]
    first_in: AwareDatetime | None = None
    last_out: AwareDatetime | None = None
    reason: Annotated[FreeText, Field(min_length=3)]


@router.post(
    "/attendance-days/{worker_id}/{day}/corrections",
    status_code=201,
    response_model=AttendanceDayPublic,
    responses=error_responses(403),
)
def correct(
    project_id: ProjectId,
    worker_id: WorkerIdText,
    day: LocalDate,
    body: CorrectionIn,
    db: DbDep,
    who: CurrentUser,
) -> AttendanceDayPublic:
    """Set a day's worked time, with a reason; the before/after goes to the audit log."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, Role.SITE_MANAGER)
        require_worker_on_project(conn, who, project_id, worker_id)
        zone = project_zone(conn, project_id)
    corrected = attendance_days.correct_day(
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
    return AttendanceDayPublic.model_validate(corrected)


@router.get("/corrections", response_model=list[CorrectionPublic])
def list_corrections(
    project_id: ProjectId, db: DbDep, who: CurrentUser, worker_id: WorkerIdText | None = None
) -> list[CorrectionPublic]:
    """The append-only audit log of corrections (who, when, before/after, why)."""
    c = schema.attendance_corrections.c
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        q = select(schema.attendance_corrections).where(c.project_id == project_id)
        reach = project_workers_filter(conn, who, project_id, c.worker_id)  # own workers only
        if reach is not None:
            q = q.where(reach)
        if worker_id:
            q = q.where(c.worker_id == worker_id)
        return [
            CorrectionPublic.model_validate(dict(r._mapping))
            for r in conn.execute(q.order_by(c.id))
        ]
