"""Attendance events as stored: the raw evidence that attendance days and wages build on."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from central.api.deps import DbDep
from central.auth.deps import CurrentUser
from central.auth.scope import restrict
from central.storage import schema

router = APIRouter(prefix="/api/v1/attendance", tags=["attendance"])


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
    site: str | None = None,
    worker_id: str | None = None,
    date_from: Annotated[date | None, Query(description="first local date, inclusive")] = None,
    date_to: Annotated[date | None, Query(description="last local date, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, object]]:
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
        return [dict(r._mapping) for r in conn.execute(q.limit(limit).offset(offset))]
