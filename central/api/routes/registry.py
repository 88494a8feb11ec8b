"""Real-name registry over HTTP: enterprises, projects, workers, employment, contracts, training.

Writes belong to the admin and, within their own enterprise's projects, the contractor admin.
ID and card numbers come back masked unless the role needs them whole and asks (``reveal``).
"""

from datetime import date

from fastapi import APIRouter
from sqlalchemy import select

from central.api.deps import DbDep, ServiceDep
from central.api.routes.faces import gallery_notifier
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import (
    may_see_whole_numbers,
    require_project,
    require_role,
    require_worker,
    visible_projects,
    visible_workers_filter,
)
from central.auth.users import Role
from central.errors import Forbidden, NotFound
from central.registry import employment, enrollment, organisations, workers
from central.storage import schema
from central.wages.holidays import DayKind

router = APIRouter(prefix="/api/v1", tags=["registry"])
WRITERS = (Role.CONTRACTOR_ADMIN,)


@router.post("/enterprises", status_code=201)
def add_enterprise(
    body: organisations.EnterpriseIn, db: DbDep, who: CurrentUser
) -> dict[str, object]:
    require_role(who)  # admin only
    return organisations.create_enterprise(db, body)


@router.get("/enterprises")
def list_enterprises(db: DbDep, who: CurrentUser) -> list[dict[str, object]]:
    e = schema.enterprises.c
    q = select(schema.enterprises).order_by(e.id)
    with db.engine.connect() as conn:
        if who.role not in (Role.ADMIN, Role.SUPERVISOR):
            q = q.where(e.id == who.enterprise_id) if who.enterprise_id else q.where(False)
        return [dict(r._mapping) for r in conn.execute(q)]


@router.post("/projects", status_code=201)
def add_project(body: organisations.ProjectIn, db: DbDep, who: CurrentUser) -> dict[str, object]:
    require_role(who, *WRITERS)
    if who.role is Role.CONTRACTOR_ADMIN and body.contractor_id != who.enterprise_id:
        raise Forbidden("a contractor admin creates projects of their own enterprise only")
    return organisations.create_project(db, body)


@router.get("/projects")
def list_projects(db: DbDep, who: CurrentUser) -> list[dict[str, object]]:
    p = schema.projects.c
    with db.engine.connect() as conn:
        visible = visible_projects(conn, who)
        q = select(schema.projects).order_by(p.id)
        if visible is not None:
            q = q.where(p.id.in_(visible))
        return [dict(r._mapping) for r in conn.execute(q)]


@router.get("/projects/{project_id}")
def get_project(project_id: str, db: DbDep, who: CurrentUser) -> dict[str, object]:
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        return {
            **organisations.project(conn, project_id),
            "gates": organisations.project_gates(conn, project_id),
        }


@router.put("/projects/{project_id}/calendar/{day}")
def set_calendar_day(
    project_id: str, day: date, kind: DayKind, db: DbDep, who: CurrentUser, note: str | None = None
) -> dict[str, object]:
    """A site override of the national holiday calendar for one date."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *WRITERS)
    organisations.set_calendar_day(db, project_id, day, kind, note)
    return {"project_id": project_id, "day": day, "kind": kind, "note": note}


@router.post("/workers", status_code=201)
def add_worker(
    body: workers.WorkerIn, db: DbDep, sealer: SealerDep, who: CurrentUser
) -> dict[str, object]:
    """Register a worker (their employment on a project is a separate record)."""
    require_role(who, *WRITERS)
    return workers.create_worker(db, sealer, body)


@router.get("/workers")
def list_workers(
    db: DbDep, sealer: SealerDep, who: CurrentUser, reveal: bool = False
) -> list[dict[str, object]]:
    w = schema.workers.c
    with db.engine.connect() as conn:
        q = select(*(getattr(w, c) for c in workers.PUBLIC_COLUMNS)).order_by(w.id)
        clause = visible_workers_filter(conn, who)
        if clause is not None:
            q = q.where(clause)
        rows = [dict(r._mapping) for r in conn.execute(q)]
        if reveal:
            if not may_see_whole_numbers(who):
                raise Forbidden("whole ID and card numbers are for payroll staff only")
            whole = workers.reveal(conn, sealer, [str(r["id"]) for r in rows])
            for r in rows:
                r |= {k: whole[str(r["id"])][k] for k in ("id_number", "card_number")}
        return rows


@router.get("/workers/{worker_id}")
def get_worker(worker_id: str, db: DbDep, who: CurrentUser) -> dict[str, object]:
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
        found = workers.worker(conn, worker_id)
        e, c, t = schema.employments.c, schema.contracts.c, schema.trainings.c
        found["employments"] = [
            dict(r._mapping)
            for r in conn.execute(select(schema.employments).where(e.worker_id == worker_id))
        ]
        found["contracts"] = [
            dict(r._mapping)
            for r in conn.execute(select(schema.contracts).where(c.worker_id == worker_id))
        ]
        found["trainings"] = [
            dict(r._mapping)
            for r in conn.execute(select(schema.trainings).where(t.worker_id == worker_id))
        ]
        return found


def _check_project_write(db, who, project_id: str, worker_id: str | None = None) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *WRITERS)
        if worker_id is not None:
            w = schema.workers.c
            if conn.execute(select(w.id).where(w.id == worker_id)).first() is None:
                raise NotFound(f"worker {worker_id}")


@router.post("/employments", status_code=201)
def add_employment(
    body: employment.EmploymentIn,
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> dict[str, object]:
    """Employ a worker on a project; an enrolled, consenting worker's face goes to its gates."""
    _check_project_write(db, who, body.project_id, body.worker_id)
    created = employment.add_employment(db, body)
    enrollment.publish_to_site(
        db, sealer, body.worker_id, body.project_id, service.gallery, gallery_notifier(service)
    )
    return created


@router.post("/contracts", status_code=201)
def add_contract(body: employment.ContractIn, db: DbDep, who: CurrentUser) -> dict[str, object]:
    _check_project_write(db, who, body.project_id, body.worker_id)
    return employment.add_contract(db, body)


@router.post("/trainings", status_code=201)
def add_training(body: employment.TrainingIn, db: DbDep, who: CurrentUser) -> dict[str, object]:
    if body.project_id is None:
        require_role(who)
    else:
        _check_project_write(db, who, body.project_id, body.worker_id)
    return employment.add_training(db, body)
