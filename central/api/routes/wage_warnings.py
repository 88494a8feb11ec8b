"""Arrears warnings over HTTP: list, handle with a note, and run the indicators."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from central.api.deps import DbDep
from central.auth.deps import CurrentUser
from central.auth.scope import require_project, require_role, visible_projects
from central.auth.users import Role
from central.errors import NotFound
from central.storage import schema
from central.warnings import store
from central.warnings.indicators import scan

router = APIRouter(prefix="/api/v1/warnings", tags=["warnings"])
HANDLERS = (Role.CONTRACTOR_ADMIN, Role.SUPERVISOR)


@router.get("")
def list_warnings(
    db: DbDep,
    who: CurrentUser,
    state: Literal["open", "handled"] | None = None,
    project_id: str | None = None,
    kind: str | None = None,
) -> list[dict[str, object]]:
    require_role(who, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
    w = schema.wage_warnings.c
    q = select(schema.wage_warnings).order_by(w.id)
    with db.engine.connect() as conn:
        visible = visible_projects(conn, who)
        if visible is not None:
            q = q.where(w.project_id.in_(visible))
        for column, value in ((w.state, state), (w.project_id, project_id), (w.kind, kind)):
            if value:
                q = q.where(column == value)
        return [store.public(r._mapping) for r in conn.execute(q)]


class HandleIn(BaseModel):
    note: Annotated[str, Field(min_length=3, max_length=500)]


@router.post("/{warning_id}/handle")
def handle(warning_id: int, body: HandleIn, db: DbDep, who: CurrentUser) -> dict[str, object]:
    w = schema.wage_warnings.c
    with db.engine.connect() as conn:
        project_id = conn.execute(select(w.project_id).where(w.id == warning_id)).first()
        if project_id is None:
            raise NotFound(f"warning {warning_id}")
        if project_id[0] is None:
            require_role(who, Role.SUPERVISOR)
        else:
            require_project(conn, who, project_id[0], *HANDLERS)
    return store.handle(db, warning_id, body.note, who.username)


@router.post("/scan")
def run_scan(db: DbDep, who: CurrentUser, today: date | None = None) -> dict[str, int]:
    """Run every indicator now (the service also runs them; this is for the impatient)."""
    require_role(who, Role.SUPERVISOR)
    return {"new_warnings": scan(db, today or date.today())}
