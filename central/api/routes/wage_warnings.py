"""Warnings over HTTP (wage indicators, silent gates, dust alarms): list, read one with its
history, handle it (assign, note, resolve, reopen, escalate; each audited), run the indicators."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.warnings import ScanResult, WarningDetail, WarningPublic
from central.audit import Actor
from central.auth.deps import CurrentUser, client_address
from central.auth.scope import (
    escalation_target,
    require_assignable,
    require_role,
    require_warning,
    warnings_filter,
)
from central.auth.users import Principal, Role
from central.errors import NotFound
from central.storage import schema
from central.validation import Code, DbId, FreeText, NotFutureDate, ProjectId
from central.warnings import handling, store
from central.warnings.indicators import scan

router = APIRouter(
    prefix="/api/v1/warnings", tags=["warnings"], responses=error_responses(*AUTHENTICATED, 403)
)


@router.get("", response_model=list[WarningPublic])
def list_warnings(
    db: DbDep,
    who: CurrentUser,
    state: Literal["open", "handled"] | None = None,
    project_id: ProjectId | None = None,
    kind: Code | None = None,
) -> list[WarningPublic]:
    """Warnings in the caller's reach (wage indicators, silent gates, dust alarms), oldest
    first: every warning of the projects it runs or supervises; a subcontractor's, those about
    its own workers."""
    require_role(who, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
    w = schema.wage_warnings.c
    q = select(schema.wage_warnings).order_by(w.id)
    with db.engine.connect() as conn:
        clause = warnings_filter(conn, who)
        if clause is not None:
            q = q.where(clause)
        for column, value in ((w.state, state), (w.project_id, project_id), (w.kind, kind)):
            if value:
                q = q.where(column == value)
        return [WarningPublic.model_validate(store.public(r._mapping)) for r in conn.execute(q)]


class HandleIn(BaseModel):
    note: Annotated[FreeText, Field(min_length=3)]


class NoteIn(BaseModel):
    note: Annotated[FreeText, Field(min_length=3)]


class AssignIn(BaseModel):
    assignee: Code | None = Field(
        description="username of an account that may handle the warning; null: nobody"
    )
    note: FreeText | None = None


def _actor(request: Request, who: Principal) -> Actor:
    return Actor(who.username, who.role.value, client_address(request))


def _may_handle(db: DbDep, who: Principal, warning_id: int) -> None:
    with db.engine.connect() as conn:
        require_warning(conn, who, warning_id)


@router.get("/{warning_id}", response_model=WarningDetail, responses=error_responses(404))
def read_warning(warning_id: DbId, db: DbDep, who: CurrentUser) -> WarningDetail:
    """One warning in the caller's reach with its full history (who, when, what, note)."""
    require_role(who, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
    w = schema.wage_warnings.c
    with db.engine.connect() as conn:
        q = select(w.id).where(w.id == warning_id)
        clause = warnings_filter(conn, who)
        if clause is not None:
            q = q.where(clause)
        if conn.execute(q).first() is None:
            raise NotFound(f"warning {warning_id}")
        return WarningDetail.model_validate(handling.detail(conn, warning_id))


@router.post(
    "/{warning_id}/handle", response_model=WarningPublic, responses=error_responses(404, 409)
)
def handle(
    warning_id: DbId, body: HandleIn, request: Request, db: DbDep, who: CurrentUser
) -> WarningPublic:
    """Mark a warning handled, with a note saying what was done: the project's general
    contractor, the employer of the worker it is about, a supervisor over the project.
    The same as ``resolve``."""
    _may_handle(db, who, warning_id)
    return WarningPublic.model_validate(
        handling.resolve(db, warning_id, _actor(request, who), body.note)
    )


@router.post(
    "/{warning_id}/resolve", response_model=WarningPublic, responses=error_responses(404, 409)
)
def resolve(
    warning_id: DbId, body: NoteIn, request: Request, db: DbDep, who: CurrentUser
) -> WarningPublic:
    """Close an open warning; the note says what was done. Audited ``warning.resolved``."""
    _may_handle(db, who, warning_id)
    return WarningPublic.model_validate(
        handling.resolve(db, warning_id, _actor(request, who), body.note)
    )


@router.post(
    "/{warning_id}/reopen", response_model=WarningPublic, responses=error_responses(404, 409)
)
def reopen(
    warning_id: DbId, body: NoteIn, request: Request, db: DbDep, who: CurrentUser
) -> WarningPublic:
    """Open a handled warning again (the fix did not hold). Audited ``warning.reopened``."""
    _may_handle(db, who, warning_id)
    return WarningPublic.model_validate(
        handling.reopen(db, warning_id, _actor(request, who), body.note)
    )


@router.post("/{warning_id}/note", response_model=WarningPublic, responses=error_responses(404))
def add_note(
    warning_id: DbId, body: NoteIn, request: Request, db: DbDep, who: CurrentUser
) -> WarningPublic:
    """Add a note to the history without changing the state. Audited ``warning.noted``."""
    _may_handle(db, who, warning_id)
    return WarningPublic.model_validate(
        handling.add_note(db, warning_id, _actor(request, who), body.note)
    )


@router.post("/{warning_id}/assign", response_model=WarningPublic, responses=error_responses(404))
def assign(
    warning_id: DbId, body: AssignIn, request: Request, db: DbDep, who: CurrentUser
) -> WarningPublic:
    """Give the warning to an account that may itself handle it (422 for any other name,
    known or not), or to nobody. Audited ``warning.assigned``."""
    with db.engine.connect() as conn:
        require_warning(conn, who, warning_id)
        if body.assignee is not None:
            require_assignable(conn, body.assignee, warning_id)
    return WarningPublic.model_validate(
        handling.assign(db, warning_id, _actor(request, who), body.assignee, body.note)
    )


@router.post(
    "/{warning_id}/escalate", response_model=WarningPublic, responses=error_responses(404, 409)
)
def escalate(
    warning_id: DbId, body: NoteIn, request: Request, db: DbDep, who: CurrentUser
) -> WarningPublic:
    """Send an open warning up to the level above the caller's (a county's supervisor → its
    city, a city's → the province); supervisors only. Audited ``warning.escalated``."""
    with db.engine.connect() as conn:
        require_warning(conn, who, warning_id)
        target = escalation_target(conn, who, warning_id)
    return WarningPublic.model_validate(
        handling.escalate(db, warning_id, _actor(request, who), target, body.note)
    )


@router.post("/scan", response_model=ScanResult)
def run_scan(db: DbDep, who: CurrentUser, today: NotFutureDate | None = None) -> ScanResult:
    """Run every indicator now (the service also runs them; this is for the impatient)."""
    require_role(who, Role.SUPERVISOR)
    return ScanResult(new_warnings=scan(db, today or date.today()))
