"""The arrears-case register and projects' special wage accounts (central/registry/arrears.py).

Inspectors (supervisors) and the admin open, update and list cases on projects in their
jurisdiction; a case outside it answers 404 like one that does not exist. A project's special
wage account is recorded by its general contractor (or the admin) and read, masked, by anyone
who sees the whole project.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import Connection

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import (
    WHOLE_PROJECT,
    project_reach,
    require_role,
    require_warning,
    visible_projects,
)
from central.auth.users import Principal, Role
from central.errors import Forbidden, NotFound
from central.registry import arrears
from central.validation import DbId, ProjectId
from central.warnings import cases as warning_cases

router = APIRouter(prefix="/api/v1", tags=["arrears"])


def _whole(conn: Connection, who: Principal, project_id: str) -> None:
    """Out of sight: 404; visible in part only (a subcontractor): 403."""
    reach = project_reach(conn, who, project_id)
    if reach is None:
        raise NotFound(f"project {project_id}")
    if reach != WHOLE_PROJECT:
        raise Forbidden("only the general contractor's office sees the special wage account")


@router.put(
    "/projects/{project_id}/wage-account",
    response_model=arrears.WageAccount,
    responses=error_responses(*AUTHENTICATED, 403, 404),
)
def put_wage_account(
    project_id: Annotated[ProjectId, Path()],
    body: arrears.WageAccountIn,
    who: CurrentUser,
    db: DbDep,
    sealer: SealerDep,
) -> arrears.WageAccount:
    """Record the project's special wage account (the number sealed, returned masked)."""
    require_role(who, Role.CONTRACTOR_ADMIN)
    with db.begin() as conn:
        _whole(conn, who, project_id)
        return arrears.set_wage_account(conn, sealer, who.actor, project_id, body)


@router.get(
    "/projects/{project_id}/wage-account",
    response_model=arrears.WageAccount,
    responses=error_responses(*AUTHENTICATED, 403, 404),
)
def get_wage_account(
    project_id: Annotated[ProjectId, Path()], who: CurrentUser, db: DbDep
) -> arrears.WageAccount:
    """The project's special wage account, masked; 404 when none is recorded."""
    with db.engine.connect() as conn:
        _whole(conn, who, project_id)
        return arrears.wage_account(conn, project_id)


@router.post(
    "/arrears-cases",
    response_model=arrears.Case,
    status_code=201,
    responses=error_responses(*AUTHENTICATED, 403, 404),
)
def post_case(body: arrears.CaseIn, who: CurrentUser, db: DbDep) -> arrears.Case:
    """Open an arrears case on a project in the inspector's jurisdiction (audited)."""
    require_role(who, Role.SUPERVISOR)
    with db.begin() as conn:
        projects = visible_projects(conn, who)
        if projects is not None and body.project_id not in projects:
            raise NotFound(f"project {body.project_id}")
        if projects is None:
            arrears.require_project(conn, body.project_id)
        return arrears.open_case(conn, who.actor, body)


@router.patch(
    "/arrears-cases/{case_id}",
    response_model=arrears.Case,
    responses=error_responses(*AUTHENTICATED, 403, 404),
)
def patch_case(
    case_id: Annotated[DbId, Path()], body: arrears.CaseUpdate, who: CurrentUser, db: DbDep
) -> arrears.Case:
    """Change a case's amount, workers or status; resolving needs a resolution (audited)."""
    require_role(who, Role.SUPERVISOR)
    with db.begin() as conn:
        return arrears.update_case(conn, who.actor, case_id, body, visible_projects(conn, who))


class CaseDetail(arrears.Case):
    """A case with every change, oldest first."""

    history: list[arrears.CaseEvent]


@router.get(
    "/arrears-cases/{case_id}",
    response_model=CaseDetail,
    responses=error_responses(*AUTHENTICATED, 403, 404),
)
def get_case(case_id: Annotated[DbId, Path()], who: CurrentUser, db: DbDep) -> CaseDetail:
    """One case in the caller's jurisdiction with its history; 404 outside it."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        found = arrears.case(conn, case_id, visible_projects(conn, who))
        return CaseDetail(**found.model_dump(), history=arrears.history(conn, case_id))


@router.post(
    "/warnings/{warning_id}/arrears-case",
    response_model=arrears.Case,
    status_code=201,
    responses=error_responses(*AUTHENTICATED, 403, 404, 409),
)
def post_case_from_warning(
    warning_id: Annotated[DbId, Path()],
    body: warning_cases.FromWarning,
    who: CurrentUser,
    db: DbDep,
) -> arrears.Case:
    """Open an arrears case from a warning in the inspector's jurisdiction, on its project:
    the case's source is the warning and the warning's history names the case (audited).
    409 while a case opened from it is still open."""
    require_role(who, Role.SUPERVISOR)
    with db.begin() as conn:
        require_warning(conn, who, warning_id)
        return warning_cases.open_from_warning(conn, who.actor, warning_id, body)


@router.get(
    "/arrears-cases",
    response_model=list[arrears.Case],
    responses=error_responses(*AUTHENTICATED, 403),
)
def list_cases(
    who: CurrentUser,
    db: DbDep,
    status: arrears.Status | None = None,
    project_id: Annotated[ProjectId | None, Query()] = None,
) -> list[arrears.Case]:
    """Cases in the caller's jurisdiction, newest first (at most 500)."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        return arrears.cases(
            conn, visible_projects(conn, who), status=status, project_id=project_id
        )
