"""Arrears warnings over HTTP: list, handle with a note, and run the indicators."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.warnings import ScanResult, WarningPublic
from central.auth.deps import CurrentUser
from central.auth.scope import require_role, require_warning, warnings_filter
from central.auth.users import Role
from central.storage import schema
from central.validation import Code, DbId, FreeText, NotFutureDate, ProjectId
from central.warnings import store
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
    """Arrears warnings in the caller's reach, oldest first: every warning of the projects it
    runs or supervises; a subcontractor's, those about its own workers."""
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


@router.post(
    "/{warning_id}/handle", response_model=WarningPublic, responses=error_responses(404, 409)
)
def handle(warning_id: DbId, body: HandleIn, db: DbDep, who: CurrentUser) -> WarningPublic:
    """Mark a warning handled, with a note saying what was done: the project's general
    contractor, the employer of the worker it is about, a supervisor over the project."""
    with db.engine.connect() as conn:
        require_warning(conn, who, warning_id)
    return WarningPublic.model_validate(store.handle(db, warning_id, body.note, who.username))


@router.post("/scan", response_model=ScanResult)
def run_scan(db: DbDep, who: CurrentUser, today: NotFutureDate | None = None) -> ScanResult:
    """Run every indicator now (the service also runs them; this is for the impatient)."""
    require_role(who, Role.SUPERVISOR)
    return ScanResult(new_warnings=scan(db, today or date.today()))
