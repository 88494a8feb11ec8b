"""Payroll batches, adjustments, month/day closing and the wage sheet over HTTP.

The bank file itself (whole ID and card numbers) is written by ``sitegate-central payroll
export`` on the payroll office's machine, never served here.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from central.api.deps import DbDep
from central.attendance import closing
from central.auth.deps import CurrentUser
from central.auth.scope import require_project, visible_projects
from central.auth.users import Principal, Role
from central.errors import NotFound
from central.payroll import batches
from central.payroll.confirmation import wage_sheet
from central.registry.organisations import project_gates
from central.storage import Database, schema

router = APIRouter(prefix="/api/v1", tags=["payroll"])
PAYROLL_STAFF = (Role.CONTRACTOR_ADMIN,)
SITE_STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)


def _batch_in_scope(db: Database, who: Principal, batch_id: int, *roles: Role) -> dict[str, object]:
    with db.engine.connect() as conn:
        b = batches.batch(conn, batch_id)
        require_project(conn, who, str(b["project_id"]), *roles)
        if who.role is Role.WORKER:
            raise NotFound(f"payroll batch {batch_id}")  # workers see their lines under /me
        return b


@router.post("/projects/{project_id}/payroll/{month}", status_code=201)
def compute_batch(project_id: str, month: str, db: DbDep, who: CurrentUser) -> dict[str, object]:
    """Create (or recompute, while a draft) the month's batch from attendance."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF)
    return batches.compute(db, project_id, month, who.username)


@router.get("/payroll/batches")
def list_batches(
    db: DbDep, who: CurrentUser, project_id: str | None = None
) -> list[dict[str, object]]:
    b = schema.payroll_batches.c
    q = select(schema.payroll_batches).order_by(b.project_id, b.month)
    with db.engine.connect() as conn:
        if who.role is Role.WORKER:
            return []  # a worker's lines are under /me
        visible = visible_projects(conn, who)
        if visible is not None:
            q = q.where(b.project_id.in_(visible))
        if project_id:
            q = q.where(b.project_id == project_id)
        return [dict(r._mapping) for r in conn.execute(q)]


@router.get("/payroll/batches/{batch_id}")
def get_batch(batch_id: int, db: DbDep, who: CurrentUser) -> dict[str, object]:
    b = _batch_in_scope(db, who, batch_id)
    with db.engine.connect() as conn:
        return {**b, "lines": wage_sheet(conn, batch_id)}


@router.get("/payroll/batches/{batch_id}/wage-sheet")
def get_wage_sheet(batch_id: int, db: DbDep, who: CurrentUser) -> dict[str, object]:
    """The monthly wage sheet: every line, who confirmed or disputed it and when, the log."""
    b = _batch_in_scope(db, who, batch_id)
    log = schema.payroll_log.c
    with db.engine.connect() as conn:
        steps = conn.execute(
            select(schema.payroll_log).where(log.batch_id == batch_id).order_by(log.id)
        )
        return {
            "batch": b,
            "lines": wage_sheet(conn, batch_id),
            "log": [dict(r._mapping) for r in steps],
        }


@router.post("/payroll/batches/{batch_id}/approve")
def approve(batch_id: int, db: DbDep, who: CurrentUser) -> dict[str, object]:
    _batch_in_scope(db, who, batch_id, *PAYROLL_STAFF)
    return batches.approve(db, batch_id, who.username)


@router.post("/payroll/batches/{batch_id}/submit")
def submit(batch_id: int, db: DbDep, who: CurrentUser) -> dict[str, object]:
    _batch_in_scope(db, who, batch_id, *PAYROLL_STAFF)
    return batches.submit(db, batch_id, who.username)


@router.post("/payroll/batches/{batch_id}/retry-failed")
def retry_failed(batch_id: int, db: DbDep, who: CurrentUser) -> dict[str, object]:
    _batch_in_scope(db, who, batch_id, *PAYROLL_STAFF)
    return {"lines_to_resend": batches.retry_failed(db, batch_id, who.username)}


class AdjustmentIn(BaseModel):
    worker_id: str
    month: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
    kind: Literal["piece_rate", "deduction"]
    amount_fen: Annotated[int, Field(gt=0)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


@router.post("/projects/{project_id}/adjustments", status_code=201)
def add_adjustment(
    project_id: str, body: AdjustmentIn, db: DbDep, who: CurrentUser
) -> dict[str, object]:
    """Piece-rate pay or a deduction (an advance) for a worker-month, with its reason."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF)
    return batches.add_adjustment(
        db,
        project_id,
        body.worker_id,
        body.month,
        body.kind,
        body.amount_fen,
        body.reason,
        who.username,
    )


class CloseIn(BaseModel):
    kind: Literal["day", "month"]
    period: Annotated[str, Field(description="YYYY-MM-DD for a day, YYYY-MM for a month")]


@router.post("/projects/{project_id}/closings", status_code=201)
def close_period(project_id: str, body: CloseIn, db: DbDep, who: CurrentUser) -> dict[str, object]:
    """Close a day or month; 409 naming the silent gates when one has not reported past it."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF)
    return closing.close(db, project_id, body.kind, body.period, who.username)


@router.get("/projects/{project_id}/gates/horizon")
def gate_horizons(project_id: str, db: DbDep, who: CurrentUser) -> dict[str, str | None]:
    """How far each gate is known to have delivered all its events."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF, Role.SUPERVISOR)
        out = {}
        for device in project_gates(conn, project_id):
            h = closing.gate_horizon(conn, project_id, device)
            out[device] = h.isoformat() if h else None
        return out


@router.get("/projects/{project_id}/closings")
def list_closings(
    project_id: str, db: DbDep, who: CurrentUser, kind: Annotated[str | None, Query()] = None
) -> list[dict[str, object]]:
    c = schema.period_closings.c
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF, Role.SUPERVISOR)
        q = select(schema.period_closings).where(c.project_id == project_id)
        if kind:
            q = q.where(c.kind == kind)
        return [dict(r._mapping) for r in conn.execute(q.order_by(c.period))]
