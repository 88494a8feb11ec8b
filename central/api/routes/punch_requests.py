"""Supplementary punches (补卡) over HTTP: a worker files and follows their own requests under
/me; the project's site manager and contractor admins (a subcontractor: its own workers')
read the queue and approve or refuse. Rules: central/attendance/punch_requests.py."""

from datetime import time
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.attendance import punch_requests as punches
from central.auth.deps import CurrentUser
from central.auth.scope import (
    own_worker,
    project_workers_filter,
    require_project,
    require_worker_on_project,
)
from central.auth.users import Principal, Role
from central.errors import NotFound
from central.storage import Database, schema
from central.validation import DbId, FreeText, LocalDate, Month, ProjectId

DECIDERS = (Role.SITE_MANAGER, Role.CONTRACTOR_ADMIN)


class PunchRequestCreate(BaseModel):
    project_id: ProjectId
    day: LocalDate
    first_in: time = Field(description="site time, HH:MM")
    last_out: time = Field(description="site time, HH:MM, later than first_in")
    reason: Annotated[FreeText, Field(min_length=3)]


class PunchRequestPublic(BaseModel):
    id: int
    project_id: str
    worker_id: str
    local_date: str
    first_in: str
    last_out: str
    reason: str
    state: Literal["open", "approved", "refused"]
    requested_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    decision_note: str | None = None
    correction_id: int | None = None


class QueuedPunchRequest(BaseModel):
    id: int
    worker_id: str
    name: str
    team: str | None = None
    local_date: str
    first_in: str
    last_out: str
    reason: str
    state: Literal["open", "approved", "refused"]
    requested_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    decision_note: str | None = None


class RefuseIn(BaseModel):
    reason: Annotated[FreeText, Field(min_length=3)]


me_router = APIRouter(
    prefix="/api/v1/me", tags=["worker"], responses=error_responses(*AUTHENTICATED, 403)
)
router = APIRouter(
    prefix="/api/v1/projects/{project_id}",
    tags=["attendance days"],
    responses=error_responses(*AUTHENTICATED, 404),
)


def _worker(who: Principal) -> str:
    return own_worker(who, "only a worker account files supplementary-punch requests")


@me_router.post(
    "/punch-requests",
    status_code=201,
    response_model=PunchRequestPublic,
    responses=error_responses(404, 409),
)
def file_request(body: PunchRequestCreate, db: DbDep, who: CurrentUser) -> PunchRequestPublic:
    """Ask for a day the gate missed (one of my projects, within my employment, not in the
    future, not in a closed period, not already asked for): it goes to the site's queue."""
    worker_id = _worker(who)
    filed = punches.request(
        db,
        worker_id,
        punches.PunchRequestIn(
            project_id=body.project_id,
            local_date=body.day,
            first_in=body.first_in,
            last_out=body.last_out,
            reason=body.reason,
        ),
        who.actor,
    )
    return PunchRequestPublic.model_validate(filed)


@me_router.get("/punch-requests", response_model=list[PunchRequestPublic])
def my_requests(
    db: DbDep, who: CurrentUser, month: Annotated[Month | None, Query()] = None
) -> list[PunchRequestPublic]:
    """My requests and their status (the refusal's reason when refused)."""
    worker_id = _worker(who)
    with db.engine.connect() as conn:
        return [
            PunchRequestPublic.model_validate(r) for r in punches.of_worker(conn, worker_id, month)
        ]


def request_in_scope(db: Database, who: Principal, project_id: str, request_id: int) -> None:
    """404 unless the request is the project's and its worker within the caller's reach;
    403 for a role that may see it but not decide it."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        try:
            found = punches.get(conn, request_id)
            if found["project_id"] != project_id or who.role is Role.WORKER:
                raise NotFound(f"punch request {request_id}")
            require_worker_on_project(conn, who, project_id, str(found["worker_id"]))
        except NotFound:
            raise NotFound(f"punch request {request_id}") from None
        require_project(conn, who, project_id, *DECIDERS)


def queue(
    db: Database, who: Principal, project_id: str, state: str | None = None
) -> list[dict[str, object]]:
    """The project's requests the caller may see (site staff; a subcontractor its own)."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *DECIDERS)
        reach = project_workers_filter(conn, who, project_id, schema.punch_requests.c.worker_id)
        return punches.of_project(conn, project_id, reach, state)


@router.get(
    "/punch-requests", response_model=list[QueuedPunchRequest], responses=error_responses(403)
)
def project_requests(
    project_id: ProjectId,
    db: DbDep,
    who: CurrentUser,
    state: Annotated[Literal["open", "approved", "refused"] | None, Query()] = None,
) -> list[QueuedPunchRequest]:
    """The site's queue: open requests first, then the decided ones, newest first."""
    return [QueuedPunchRequest.model_validate(r) for r in queue(db, who, project_id, state)]


@router.post(
    "/punch-requests/{request_id}/approve",
    response_model=PunchRequestPublic,
    responses=error_responses(403, 409),
)
def approve(
    project_id: ProjectId, request_id: DbId, db: DbDep, who: CurrentUser
) -> PunchRequestPublic:
    """Approve: the day becomes a correction with the worker's reason (audited)."""
    request_in_scope(db, who, project_id, request_id)
    return PunchRequestPublic.model_validate(punches.approve(db, project_id, request_id, who.actor))


@router.post(
    "/punch-requests/{request_id}/refuse",
    response_model=PunchRequestPublic,
    responses=error_responses(403, 409),
)
def refuse(
    project_id: ProjectId, request_id: DbId, body: RefuseIn, db: DbDep, who: CurrentUser
) -> PunchRequestPublic:
    """Refuse with a reason the worker reads (audited)."""
    request_in_scope(db, who, project_id, request_id)
    return PunchRequestPublic.model_validate(
        punches.refuse(db, project_id, request_id, who.actor, body.reason)
    )
