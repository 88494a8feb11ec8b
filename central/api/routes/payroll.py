"""Payroll batches, adjustments, month/day closing and the wage sheet over HTTP.

The bank file itself (whole ID and card numbers) is written by ``sitegate-central payroll
export`` on the payroll office's machine, never served here.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.payroll import (
    BatchPublic,
    BatchWithLines,
    ClosingPublic,
    GateHorizons,
    PayrollLogEntry,
    RetryResult,
    WageSheet,
    WageSheetLine,
)
from central.attendance import closing
from central.auth.deps import CurrentUser
from central.auth.scope import project_worker_ids, require_project, visible_projects
from central.auth.users import Principal, Role
from central.errors import NotFound
from central.payroll import batches
from central.payroll.confirmation import wage_sheet
from central.registry.organisations import project_gates
from central.storage import Database, schema
from central.storage.project_scope import in_scope
from central.validation import DbId, Month, ProjectId

router = APIRouter(prefix="/api/v1", tags=["payroll"], responses=error_responses(*AUTHENTICATED))
PAYROLL_STAFF = (Role.CONTRACTOR_ADMIN,)
SITE_STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)


def _batch_in_scope(
    db: Database, who: Principal, batch_id: int, *roles: Role, whole: bool = False
) -> dict[str, object]:
    """404 outside the caller's projects; ``whole``: approving, submitting and retrying the
    project's batch are its general contractor's (a subcontractor gets 403)."""
    with db.engine.connect() as conn:
        b = batches.batch(conn, batch_id)
        try:
            require_project(conn, who, str(b["project_id"]), *roles, whole=whole)
        except NotFound:  # answered as a missing batch: never name the project behind an id
            raise NotFound(f"payroll batch {batch_id}") from None
        if who.role is Role.WORKER:
            raise NotFound(f"payroll batch {batch_id}")  # workers see their lines under /me
        return b


@router.post(
    "/projects/{project_id}/payroll/{month}",
    status_code=201,
    response_model=BatchPublic,
    responses=error_responses(403, 404, 409),
)
def compute_batch(project_id: ProjectId, month: Month, db: DbDep, who: CurrentUser) -> BatchPublic:
    """Create (or recompute, while a draft) the month's batch from attendance."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF, whole=True)
    return BatchPublic.model_validate(batches.compute(db, project_id, month, who.username))


@router.get("/payroll/batches", response_model=list[BatchPublic])
def list_batches(
    db: DbDep, who: CurrentUser, project_id: ProjectId | None = None
) -> list[BatchPublic]:
    """The batches of the caller's projects (a worker's own lines are under /me)."""
    b = schema.payroll_batches.c
    q = select(schema.payroll_batches).order_by(b.project_id, b.month)
    with db.engine.connect() as conn:
        if who.role is Role.WORKER:
            return []  # a worker's lines are under /me
        q = q.where(in_scope(b.project_id, visible_projects(conn, who)))
        if project_id:
            q = q.where(b.project_id == project_id)
        return [BatchPublic.model_validate(dict(r._mapping)) for r in conn.execute(q)]


@router.get(
    "/payroll/batches/{batch_id}", response_model=BatchWithLines, responses=error_responses(404)
)
def get_batch(batch_id: DbId, db: DbDep, who: CurrentUser) -> BatchWithLines:
    """One batch with its lines."""
    b = _batch_in_scope(db, who, batch_id)
    with db.engine.connect() as conn:
        lines = _lines_in_reach(conn, who, b, wage_sheet(conn, batch_id))
        return BatchWithLines.model_validate({**b, "lines": lines})


def _lines_in_reach(
    conn: Connection, who: Principal, b: dict[str, object], lines: list[dict[str, object]]
) -> list[dict[str, object]]:
    """A subcontractor sees the lines of its own workers only."""
    mine = project_worker_ids(conn, who, str(b["project_id"]))
    return lines if mine is None else [line for line in lines if line["worker_id"] in mine]


@router.get(
    "/payroll/batches/{batch_id}/wage-sheet",
    response_model=WageSheet,
    responses=error_responses(404),
)
def get_wage_sheet(batch_id: DbId, db: DbDep, who: CurrentUser) -> WageSheet:
    """The monthly wage sheet: every line, who confirmed or disputed it and when, the log."""
    b = _batch_in_scope(db, who, batch_id)
    log = schema.payroll_log.c
    with db.engine.connect() as conn:
        lines = _lines_in_reach(conn, who, b, wage_sheet(conn, batch_id))
        shown = {line["id"] for line in lines}
        steps = conn.execute(
            select(schema.payroll_log).where(log.batch_id == batch_id).order_by(log.id)
        )
        return WageSheet(
            batch=BatchPublic.model_validate(b),
            lines=[WageSheetLine.model_validate(line) for line in lines],
            log=[
                PayrollLogEntry.model_validate(dict(r._mapping))
                for r in steps
                if r.line_id is None or r.line_id in shown
            ],
        )


@router.post(
    "/payroll/batches/{batch_id}/approve",
    response_model=BatchPublic,
    responses=error_responses(403, 404, 409),
)
def approve(
    batch_id: DbId,
    db: DbDep,
    who: CurrentUser,
    hold_disputed: Annotated[bool, Query()] = False,
) -> BatchPublic:
    """Approve a draft: refused while the month is open or when late events changed it, and
    while a line is disputed (409 naming each in ``disputed_lines``) unless ``hold_disputed``
    (those lines are then held back from the bank file). The approver is recorded."""
    _batch_in_scope(db, who, batch_id, *PAYROLL_STAFF, whole=True)
    return BatchPublic.model_validate(
        batches.approve(db, batch_id, who.username, hold_disputed=hold_disputed)
    )


@router.post(
    "/payroll/batches/{batch_id}/submit",
    response_model=BatchPublic,
    responses=error_responses(403, 404, 409),
)
def submit(batch_id: DbId, db: DbDep, who: CurrentUser) -> BatchPublic:
    """Send an approved batch to the bank; disputed lines are held back."""
    _batch_in_scope(db, who, batch_id, *PAYROLL_STAFF, whole=True)
    return BatchPublic.model_validate(batches.submit(db, batch_id, who.username))


@router.post(
    "/payroll/batches/{batch_id}/retry-failed",
    response_model=RetryResult,
    responses=error_responses(403, 404, 409),
)
def retry_failed(batch_id: DbId, db: DbDep, who: CurrentUser) -> RetryResult:
    """Failed lines back to pending for the next bank file (after the card is fixed)."""
    _batch_in_scope(db, who, batch_id, *PAYROLL_STAFF, whole=True)
    return RetryResult(lines_to_resend=batches.retry_failed(db, batch_id, who.username))


class CloseIn(BaseModel):
    kind: Literal["day", "month"]
    period: Annotated[
        str,
        Field(
            pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$",
            description="YYYY-MM-DD for a day, YYYY-MM for a month (2000 to 2099)",
        ),
    ]


@router.post(
    "/projects/{project_id}/closings",
    status_code=201,
    response_model=ClosingPublic,
    responses=error_responses(403, 404, 409),
)
def close_period(
    project_id: ProjectId, body: CloseIn, db: DbDep, who: CurrentUser
) -> ClosingPublic:
    """Close a day or month; 409 naming the silent gates when one has not reported past it."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF, whole=True)
    return ClosingPublic.model_validate(
        closing.close(db, project_id, body.kind, body.period, who.username)
    )


@router.get(
    "/projects/{project_id}/gates/horizon",
    response_model=GateHorizons,
    responses=error_responses(403, 404),
)
def gate_horizons(project_id: ProjectId, db: DbDep, who: CurrentUser) -> GateHorizons:
    """How far each gate is known to have delivered all its events."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF, Role.SUPERVISOR)
        out: dict[str, str | None] = {}
        for device in project_gates(conn, project_id):
            h = closing.gate_horizon(conn, project_id, device)
            out[device] = h.isoformat() if h else None
        return GateHorizons(out)


@router.get(
    "/projects/{project_id}/closings",
    response_model=list[ClosingPublic],
    responses=error_responses(403, 404),
)
def list_closings(
    project_id: ProjectId,
    db: DbDep,
    who: CurrentUser,
    kind: Annotated[Literal["day", "month"] | None, Query()] = None,
) -> list[ClosingPublic]:
    """The project's day and month closings (and reopenings, with their reason)."""
    c = schema.period_closings.c
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *SITE_STAFF, Role.SUPERVISOR)
        q = select(schema.period_closings).where(c.project_id == project_id)
        if kind:
            q = q.where(c.kind == kind)
        rows = conn.execute(q.order_by(c.period))
        return [ClosingPublic.model_validate(dict(r._mapping)) for r in rows]
