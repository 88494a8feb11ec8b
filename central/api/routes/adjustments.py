"""Wage adjustments over HTTP: add, list, and reverse (never delete) piece-rate pay and deductions.

Site staff of the project act here; an adjustment is for a worker employed on the project in
that month (404 otherwise, the same answer whether the worker exists elsewhere or not), at
most 1,000,000 yuan, and every addition and reversal is in the audit log.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.payroll import AdjustmentPublic
from central.audit import Actor
from central.auth.deps import CurrentUser
from central.auth.scope import project_worker_ids, require_project, require_worker_on_project
from central.auth.users import Principal, Role
from central.errors import NotFound
from central.payroll import adjustments
from central.storage import schema
from central.validation import AdjustmentFen, DbId, FreeText, Month, ProjectId, WorkerIdText

router = APIRouter(
    prefix="/api/v1/projects/{project_id}/adjustments",
    tags=["payroll"],
    responses=error_responses(*AUTHENTICATED),
)
SITE_STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)


def actor_of(who: Principal, request: Request) -> Actor:
    """The audit log's view of the caller."""
    client = request.client.host if request.client else None
    return Actor(who.username, who.role.value, client)


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: WorkerIdText
    month: Month
    kind: Literal["piece_rate", "deduction"]
    amount_fen: AdjustmentFen
    reason: FreeText


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: FreeText


@router.post(
    "",
    status_code=201,
    response_model=AdjustmentPublic,
    responses=error_responses(403, 404, 409),
)
def add_adjustment(
    project_id: ProjectId, body: AdjustmentIn, db: DbDep, who: CurrentUser, request: Request
) -> AdjustmentPublic:
    """Piece-rate pay or a deduction (an advance) for a worker-month, with its reason: the
    general contractor's staff for anyone on the project, a subcontractor for its own."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF)
        require_worker_on_project(conn, who, project_id, body.worker_id)
    added = adjustments.add_adjustment(
        db,
        project_id,
        body.worker_id,
        body.month,
        body.kind,
        body.amount_fen,
        body.reason,
        who.username,
        actor=actor_of(who, request),
    )
    return AdjustmentPublic.model_validate(added)


@router.get("", response_model=list[AdjustmentPublic], responses=error_responses(403, 404))
def list_adjustments(
    project_id: ProjectId,
    db: DbDep,
    who: CurrentUser,
    month: Annotated[Month | None, Query()] = None,
    worker_id: Annotated[WorkerIdText | None, Query()] = None,
) -> list[AdjustmentPublic]:
    """The project's adjustments, reversed ones included with who reversed them and why."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF, Role.SUPERVISOR)
        rows = adjustments.adjustments(conn, project_id, month, worker_id)
        mine = project_worker_ids(conn, who, project_id)  # a subcontractor: its own workers
    return [
        AdjustmentPublic.model_validate(r) for r in rows if mine is None or r["worker_id"] in mine
    ]


@router.post(
    "/{adjustment_id}/reversal",
    response_model=AdjustmentPublic,
    responses=error_responses(403, 404, 409),
)
def reverse_adjustment(
    project_id: ProjectId,
    adjustment_id: DbId,
    body: ReversalIn,
    db: DbDep,
    who: CurrentUser,
    request: Request,
) -> AdjustmentPublic:
    """Reverse an adjustment while its month's batch is a draft (recompute the draft after)."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF)
        mine = project_worker_ids(conn, who, project_id)
        if mine is not None:
            t = schema.wage_adjustments.c
            about = conn.execute(
                select(t.worker_id).where(t.id == adjustment_id, t.project_id == project_id)
            ).scalar_one_or_none()
            if about not in mine:
                raise NotFound(f"adjustment {adjustment_id}")
    done = adjustments.reverse_adjustment(
        db, project_id, adjustment_id, body.reason, actor_of(who, request)
    )
    return AdjustmentPublic.model_validate(done)
