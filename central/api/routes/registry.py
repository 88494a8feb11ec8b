"""Real-name registry over HTTP: enterprises, projects, workers, employment, contracts, training.

Writes belong to the admin and the enterprises' admins, each within its reach (a general
contractor on its projects, a subcontractor for its own workers: central/auth/scope.py,
docs/tenancy.md). ID and card numbers come back masked unless the caller employs the worker
now and asks (``reveal``, audited).
"""

from fastapi import APIRouter
from sqlalchemy import select

from central import worker_actions
from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.registry import (
    CalendarDayPublic,
    ContractPublic,
    EmploymentPublic,
    EnterprisePublic,
    ProjectDetail,
    ProjectPublic,
    TrainingPublic,
    WorkerDetail,
    WorkerPublic,
)
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import (
    enterprises_filter,
    kept_records,
    may_see_whole_numbers,
    records_filter,
    require_employer_on,
    require_project,
    require_role,
    require_worker,
    require_worker_on_project,
    revealable,
    trainings_filter,
    visible_projects,
    visible_workers_filter,
)
from central.auth.users import Principal, Role
from central.errors import Forbidden
from central.registry import employment, organisations, roster, workers
from central.storage import Database, schema
from central.storage.project_scope import in_scope
from central.validation import FreeText, LocalDate, ProjectId, WorkerIdText
from central.wages.holidays import DayKind

router = APIRouter(prefix="/api/v1", tags=["registry"], responses=error_responses(*AUTHENTICATED))
WRITERS = (Role.CONTRACTOR_ADMIN,)


@router.post(
    "/enterprises",
    status_code=201,
    response_model=EnterprisePublic,
    responses=error_responses(403, 409),
)
def add_enterprise(
    body: organisations.EnterpriseIn, db: DbDep, who: CurrentUser
) -> EnterprisePublic:
    """Register an enterprise (general contractor or subcontractor) by its credit code."""
    require_role(who)  # admin only
    return EnterprisePublic.model_validate(organisations.create_enterprise(db, body))


@router.get("/enterprises", response_model=list[EnterprisePublic])
def list_enterprises(db: DbDep, who: CurrentUser) -> list[EnterprisePublic]:
    """Every enterprise for the admin, those on projects in their division for supervisors,
    the caller's own for the others."""
    e = schema.enterprises.c
    q = select(schema.enterprises).order_by(e.id)
    with db.engine.connect() as conn:
        clause = enterprises_filter(conn, who)
        if clause is not None:
            q = q.where(clause)
        return [EnterprisePublic.model_validate(dict(r._mapping)) for r in conn.execute(q)]


@router.post(
    "/projects",
    status_code=201,
    response_model=ProjectPublic,
    responses=error_responses(403, 404, 409),
)
def add_project(body: organisations.ProjectIn, db: DbDep, who: CurrentUser) -> ProjectPublic:
    """Create a project (= a gate site) of a general contractor."""
    require_role(who, *WRITERS)
    if who.role is Role.CONTRACTOR_ADMIN and body.contractor_id != who.enterprise_id:
        raise Forbidden("a contractor admin creates projects of their own enterprise only")
    return ProjectPublic.model_validate(organisations.create_project(db, body))


@router.get("/projects", response_model=list[ProjectPublic])
def list_projects(db: DbDep, who: CurrentUser) -> list[ProjectPublic]:
    """The projects in the caller's scope."""
    p = schema.projects.c
    with db.engine.connect() as conn:
        q = select(schema.projects).order_by(p.id)
        q = q.where(in_scope(p.id, visible_projects(conn, who)))
        return [ProjectPublic.model_validate(dict(r._mapping)) for r in conn.execute(q)]


@router.get("/projects/{project_id}", response_model=ProjectDetail, responses=error_responses(404))
def get_project(project_id: ProjectId, db: DbDep, who: CurrentUser) -> ProjectDetail:
    """One project with its gates."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        return ProjectDetail.model_validate(
            {
                **organisations.project(conn, project_id),
                "gates": organisations.project_gates(conn, project_id),
            }
        )


@router.put(
    "/projects/{project_id}/calendar/{day}",
    response_model=CalendarDayPublic,
    responses=error_responses(403, 404),
)
def set_calendar_day(
    project_id: ProjectId,
    day: LocalDate,
    kind: DayKind,
    db: DbDep,
    who: CurrentUser,
    note: FreeText | None = None,
) -> CalendarDayPublic:
    """A site override of the national holiday calendar for one date (the general
    contractor's: it decides the project's workdays for everyone)."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *WRITERS, whole=True)
    organisations.set_calendar_day(db, project_id, day, kind, note)
    return CalendarDayPublic(project_id=project_id, day=day, kind=kind, note=note)


@router.post(
    "/workers",
    status_code=201,
    response_model=WorkerPublic,
    response_model_exclude_unset=True,
    responses=error_responses(403, 409),
)
def add_worker(
    body: workers.WorkerIn, db: DbDep, sealer: SealerDep, who: CurrentUser
) -> WorkerPublic:
    """Register a worker (their employment on a project is a separate record: for the
    enterprise that registered them too, POST /api/v1/employments/by-id-number).

    A person already registered is refused (409) without naming their record, except to the
    admin: one person has one record, and a new employer links to it by ID number.
    """
    require_role(who, *WRITERS)
    created = workers.create_worker(db, sealer, body, disclose=who.role is Role.ADMIN)
    return WorkerPublic.model_validate(created)


def _whole_fields(worker_id: str, cards: set[str]) -> tuple[str, ...]:
    """The whole numbers shown for a revealed worker: the card only to its record's keepers."""
    return ("id_number", "card_number") if worker_id in cards else ("id_number",)


@router.get(
    "/workers",
    response_model=list[WorkerPublic],
    response_model_exclude_unset=True,
    responses=error_responses(403),
)
def list_workers(
    db: DbDep, sealer: SealerDep, who: CurrentUser, reveal: bool = False
) -> list[WorkerPublic]:
    """Workers in the caller's scope, masked; ``reveal`` gives payroll staff whole numbers."""
    w = schema.workers.c
    with db.engine.connect() as conn:
        q = select(*(getattr(w, c) for c in workers.PUBLIC_COLUMNS)).order_by(w.id)
        clause = visible_workers_filter(conn, who)
        if clause is not None:
            q = q.where(clause)
        rows = [dict(r._mapping) for r in conn.execute(q)]
        allowed: set[str] = set()
        cards: set[str] = set()
        if reveal:
            if not may_see_whole_numbers(who):
                raise Forbidden("whole ID and card numbers are for payroll staff only")
            allowed = revealable(conn, who, [str(r["id"]) for r in rows])
            cards = kept_records(conn, who, sorted(allowed))
    # Whole numbers only of workers the caller employs (or pays, as general contractor) now;
    # the others stay masked. Each reveal is audited before it is sent. The whole card
    # number only to those who keep the record (scope.kept_records): a known person linked
    # by ID number does not hand the new employer another employer's payroll card.
    whole = workers.reveal_audited(db, sealer, who.actor, sorted(allowed))
    for r in rows:
        if r["id"] in whole:
            r |= {k: whole[str(r["id"])][k] for k in _whole_fields(str(r["id"]), cards)}
    return [WorkerPublic.model_validate(r) for r in rows]


@router.get(
    "/workers/{worker_id}",
    response_model=WorkerDetail,
    response_model_exclude_unset=True,
    responses=error_responses(404),
)
def get_worker(
    worker_id: WorkerIdText,
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    reveal: bool = False,
) -> WorkerDetail:
    """One worker (masked) with the employments, contracts and training in the caller's reach
    (another employer's records of the same person are not shown); ``reveal``: whole numbers
    for an employer that employs them now, audited."""
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
        found = workers.worker(conn, worker_id)
        for key, table, clause in (
            ("employments", schema.employments, records_filter(conn, who, schema.employments)),
            ("contracts", schema.contracts, records_filter(conn, who, schema.contracts)),
            ("trainings", schema.trainings, trainings_filter(conn, who)),
        ):
            q = select(table).where(table.c.worker_id == worker_id).order_by(table.c.id)
            if clause is not None:
                q = q.where(clause)
            found[key] = [dict(r._mapping) for r in conn.execute(q)]
    if reveal:  # 403 unless payroll staff employing them now; audited before it is sent
        found |= worker_actions.reveal(db, sealer, who, who.actor, worker_id)
    return WorkerDetail.model_validate(found)


def _check_employer_write(
    db: Database, who: Principal, project_id: str, employer_id: int, worker_id: str
) -> None:
    """The caller employs (or, as general contractor, registers) for ``employer_id`` on the
    project, and sees the worker already: a person the caller does not employ is linked by
    ID number instead (POST /api/v1/employments/by-id-number), so a bare id of someone
    else's worker answers 404."""
    with db.engine.connect() as conn:
        require_employer_on(conn, who, project_id, employer_id)
        require_worker(conn, who, worker_id)
        if who.role is Role.ADMIN:
            workers.worker(conn, worker_id)  # 404 for an id that does not exist


@router.post(
    "/employments",
    status_code=201,
    response_model=EmploymentPublic,
    responses=error_responses(403, 404, 409),
)
def add_employment(
    body: employment.EmploymentIn,
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> EmploymentPublic:
    """Employ a worker the caller already sees on a project; an enrolled worker's face goes to
    its gates if they consented for this employer."""
    _check_employer_write(db, who, body.project_id, body.employer_id, body.worker_id)
    created = employment.add_employment(db, body)
    gates = worker_actions.gates_of(service)  # their consented face and ID/NFC cards
    roster.publish(db, sealer, body.worker_id, body.project_id, gates.galleries, gates.changed)
    return EmploymentPublic.model_validate(created)


@router.post(
    "/contracts",
    status_code=201,
    response_model=ContractPublic,
    responses=error_responses(403, 404, 409),
)
def add_contract(body: employment.ContractIn, db: DbDep, who: CurrentUser) -> ContractPublic:
    """Record a signed (or terminated) labour contract by its document's hash."""
    _check_employer_write(db, who, body.project_id, body.employer_id, body.worker_id)
    with db.engine.connect() as conn:
        require_worker_on_project(conn, who, body.project_id, body.worker_id)
    return ContractPublic.model_validate(employment.add_contract(db, body))


@router.post(
    "/trainings",
    status_code=201,
    response_model=TrainingPublic,
    responses=error_responses(403, 404, 409),
)
def add_training(body: employment.TrainingIn, db: DbDep, who: CurrentUser) -> TrainingPublic:
    """Record completed safety training (project-less training is the admin's to record)."""
    if body.project_id is None:
        require_role(who)
    else:
        with db.engine.connect() as conn:
            require_project(conn, who, body.project_id, *WRITERS)
            require_worker_on_project(conn, who, body.project_id, body.worker_id)
    return TrainingPublic.model_validate(employment.add_training(db, body))
