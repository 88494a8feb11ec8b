"""Attendance events as stored: the raw evidence that attendance days and wages build on."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser
from central.auth.scope import restrict
from central.storage import schema
from central.validation import DB_INT_MAX, LocalDate, ProjectId, WorkerIdText

router = APIRouter(
    prefix="/api/v1/attendance", tags=["attendance"], responses=error_responses(*AUTHENTICATED)
)


class AttendancePublic(BaseModel):
    event_id: str
    site: str
    device: str
    worker_id: str
    direction: str
    method: str
    distance: float | None
    liveness: str
    captured_at: str
    local_date: date
    received_at: str


@router.get("", response_model=list[AttendancePublic])
def list_attendance(
    db: DbDep,
    who: CurrentUser,
    site: ProjectId | None = None,
    worker_id: WorkerIdText | None = None,
    date_from: Annotated[LocalDate | None, Query(description="first local date, inclusive")] = None,
    date_to: Annotated[LocalDate | None, Query(description="last local date, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=DB_INT_MAX)] = 0,
) -> list[AttendancePublic]:
    """Stored check-ins in the caller's scope, in the order they were captured."""
    a = schema.attendance.c
    q = select(schema.attendance).order_by(a.captured_utc_us, a.event_id)
    if site:
        q = q.where(a.site == site)
    if worker_id:
        q = q.where(a.worker_id == worker_id)
    if date_from:
        q = q.where(a.local_date >= date_from.isoformat())
    if date_to:
        q = q.where(a.local_date <= date_to.isoformat())
    with db.engine.connect() as conn:
        q = restrict(conn, who, q, a.site, a.worker_id)  # scope: projects / own rows
        rows = conn.execute(q.limit(limit).offset(offset))
        return [AttendancePublic.model_validate(dict(r._mapping)) for r in rows]
