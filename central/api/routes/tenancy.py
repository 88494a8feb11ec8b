"""Who is on a project, and employing a person already registered: tenancy over HTTP.

A project's general contractor registers its subcontractors; an enterprise employs a person
another enterprise registered by linking to their one real-name record with the resident ID
number (一人一档), which grants it its own employment and masked identity data, nothing of the
other employers' records (docs/tenancy.md).
"""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from central import worker_actions
from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.registry import EmploymentPublic, ProjectPublic
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import may_register_on, require_project
from central.auth.users import Role
from central.errors import Forbidden
from central.registry import employment, organisations

router = APIRouter(prefix="/api/v1", tags=["tenancy"], responses=error_responses(*AUTHENTICATED))


class ProjectEnterprisePublic(BaseModel):
    enterprise_id: int
    name: str
    uscc: str = Field(description="unified social credit code")
    role: str = Field(description="general_contractor | subcontractor | labour_subcontractor")
    registered_at: str
    registered_by: str | None = Field(description="who registered it (none: the contractor)")


class LinkedWorker(BaseModel):
    """What a new employer learns of a known person: the worker id its gates use, the name,
    and the masked ID number; nothing of other employers' records."""

    id: str
    name: str
    id_number_masked: str


class LinkedEmployment(BaseModel):
    worker: LinkedWorker
    employment: EmploymentPublic


@router.get(
    "/projects/{project_id}/enterprises",
    response_model=list[ProjectEnterprisePublic],
    responses=error_responses(403, 404),
)
def list_project_enterprises(
    project_id: str, db: DbDep, who: CurrentUser
) -> list[ProjectEnterprisePublic]:
    """The general contractor and the subcontractors registered on the project."""
    with db.engine.connect() as conn:
        require_project(
            conn, who, project_id, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER
        )
        rows = organisations.project_enterprises(conn, project_id)
    return [ProjectEnterprisePublic.model_validate(r) for r in rows]


@router.post(
    "/projects/{project_id}/enterprises",
    status_code=201,
    response_model=ProjectEnterprisePublic,
    responses=error_responses(403, 404, 409),
)
def register_enterprise(
    project_id: str, body: organisations.ProjectEnterpriseIn, db: DbDep, who: CurrentUser
) -> ProjectEnterprisePublic:
    """Register a subcontractor (分包 or 劳务分包) on the project: its general contractor's
    admin or the admin. The subcontractor may then employ its own workers there."""
    with db.engine.connect() as conn:
        may_register_on(conn, who, project_id)
    organisations.register_on_project(db, project_id, body, who.username)
    with db.engine.connect() as conn:
        rows = organisations.project_enterprises(conn, project_id)
    (row,) = [r for r in rows if r["enterprise_id"] == body.enterprise_id]
    return ProjectEnterprisePublic.model_validate(row)


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectPublic,
    responses=error_responses(403, 404),
)
def change_project(
    project_id: str, body: organisations.ProjectChange, db: DbDep, who: CurrentUser
) -> ProjectPublic:
    """Change the project's status (under construction, suspended, completed) or division
    code: its general contractor's admin or the admin.

    The division decides which labour inspectors supervise the site, so a general contractor
    sets it only while it is unset (a project registered before jurisdictions existed): moving
    a supervised site out of its inspectors' sight is the admin's (403 otherwise).
    """
    with db.engine.connect() as conn:
        may_register_on(conn, who, project_id)
        current = organisations.project(conn, project_id)["division_code"]
    moved = body.division_code is not None and body.division_code != current
    if moved and current is not None and who.role is not Role.ADMIN:
        raise Forbidden("the project's division is set: the admin moves it to another")
    return ProjectPublic.model_validate(organisations.change_project(db, project_id, body))


@router.post(
    "/employments/by-id-number",
    status_code=201,
    response_model=LinkedEmployment,
    responses=error_responses(403, 404, 409),
)
def link_by_id_number(
    body: employment.LinkIn, db: DbDep, sealer: SealerDep, who: CurrentUser, service: ServiceDep
) -> LinkedEmployment:
    """Employ a registered person, found by their resident ID number, on a project.

    The caller must be the employer (or the project's general contractor employing for a
    subcontractor registered there). 404 when no one is registered under the number: register
    the worker first (POST /api/v1/workers).
    """
    linked = worker_actions.link_by_id_number(
        db, sealer, who, body, worker_actions.gates_of(service)
    )
    return LinkedEmployment(
        worker=LinkedWorker.model_validate(linked.worker),
        employment=EmploymentPublic.model_validate(linked.employment),
    )
