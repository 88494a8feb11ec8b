"""Courses of an enterprise, their assignment to workers of a project, and completion records
(``trainings`` rows with the course, date and validity).

An enterprise's admin manages its own courses; a site manager uses its general contractor's.
Assigning and recording completions need the project and the worker in the caller's reach
(central/auth/scope.py); a course from an enterprise the caller cannot use answers 404.
"""

from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Select, or_, select
from sqlalchemy.exc import IntegrityError

from central import audit
from central.auth.scope import (
    enterprise_assets,
    project_worker_ids,
    require_project,
    require_role,
    require_worker_on_project,
    trainings_filter,
)
from central.auth.users import Principal, Role
from central.clock import now_iso
from central.errors import N_, InvalidInput, NotFound
from central.storage import Database, schema
from central.storage.lookup import inserted_id
from central.training.entry import site_today
from central.training.material import checked_pdf, refused
from central.validation import DbId, LocalDate, ProjectId, clean_line, clean_text
from wireproto.messages import WorkerId

STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)


class CourseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: DbId | None = Field(None, description="the admin's choice; others: their own")
    title: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(clean_line)]
    hours: Annotated[int, Field(ge=1, le=200)]
    valid_days: Annotated[int, Field(ge=1, le=3660, description="a completion is valid for")]
    material_text: Annotated[str, Field(max_length=50_000), AfterValidator(clean_text)] | None = (
        None
    )


def course_in(form: dict[str, object]) -> CourseIn:
    """A course from a form's fields; InvalidInput (422) naming the first bad field."""
    try:
        return CourseIn.model_validate(form)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "form"
        raise InvalidInput(f"{field}: {first['msg']}") from None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: ProjectId
    worker_ids: Annotated[list[WorkerId], Field(min_length=1, max_length=500)]


class CompletionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: ProjectId
    worker_id: WorkerId
    completed_on: LocalDate


def _actor(who: Principal) -> audit.Actor:
    return audit.Actor(who.username, who.role.value)


def create(
    db: Database, who: Principal, data: CourseIn, material_pdf: bytes | None = None
) -> dict[str, Any]:
    """A new course of the caller's enterprise (the admin names one; a site manager's is its
    project's general contractor's)."""
    require_role(who, *STAFF)
    owner = data.enterprise_id if who.role is Role.ADMIN else who.enterprise_id
    if who.role is Role.SITE_MANAGER:  # the general contractor's office: its courses
        with db.engine.connect() as conn:
            owner = next(iter(enterprise_assets(conn, who) or set()), None)
    if owner is None:
        raise InvalidInput.of(N_("enterprise_id: the admin names the enterprise"))
    if material_pdf is not None:
        checked_pdf(material_pdf)
    if not data.material_text and material_pdf is None:
        raise refused("material_text", N_("give the material as text or upload a PDF"))
    values = {
        "enterprise_id": owner,
        "title": data.title,
        "hours": data.hours,
        "valid_days": data.valid_days,
        "material_text": data.material_text or None,
        "material_pdf": material_pdf,
        "created_at": now_iso(),
        "created_by": who.username,
    }
    with db.begin() as conn:
        e = schema.enterprises.c
        if conn.execute(select(e.id).where(e.id == owner)).first() is None:
            raise NotFound(f"enterprise {owner}")
        new_id = inserted_id(conn.execute(schema.training_courses.insert().values(**values)))
        audit.record(
            conn,
            _actor(who),
            "training_course.created",
            target_kind="training_course",
            target_id=new_id,
            detail={"title": data.title, "enterprise_id": owner},
        )
        return get(conn, who, new_id)


COURSE_COLUMNS = ("id", "enterprise_id", "title", "hours", "valid_days", "created_at")


def _course_query(conn: Connection, who: Principal, project_id: str | None = None) -> Any:
    c = schema.training_courses.c
    q = select(
        *(c[k] for k in COURSE_COLUMNS),
        c.material_text,
        c.material_pdf.is_not(None).label("has_pdf"),
    )
    allowed = enterprise_assets(conn, who)
    if allowed is not None:
        if project_id is not None:  # the project's general contractor's courses serve it too
            p = schema.projects.c
            gc = conn.execute(select(p.contractor_id).where(p.id == project_id)).scalar()
            allowed = allowed | ({int(gc)} if gc is not None else set())
        q = q.where(c.enterprise_id.in_(sorted(allowed)))
    return q


def get(
    conn: Connection, who: Principal, course_id: int, project_id: str | None = None
) -> dict[str, Any]:
    """One course the caller may use (on ``project_id``); 404 otherwise."""
    c = schema.training_courses.c
    row = conn.execute(_course_query(conn, who, project_id).where(c.id == course_id)).first()
    if row is None:
        raise NotFound(f"course {course_id}")
    out = dict(row._mapping)
    out["has_pdf"] = bool(out["has_pdf"])
    return out


def material_pdf(conn: Connection, who: Principal, course_id: int) -> bytes:
    """The course's PDF: for staff who may use the course, for a worker it is assigned to."""
    c, a = schema.training_courses.c, schema.training_assignments.c
    if who.role is Role.WORKER:
        q = (
            select(c.material_pdf)
            .join(schema.training_assignments, a.course_id == c.id)
            .where(c.id == course_id, a.worker_id == who.worker_id)
        )
        found = conn.execute(q.limit(1)).scalar()
    else:
        get(conn, who, course_id)
        found = conn.execute(select(c.material_pdf).where(c.id == course_id)).scalar()
    if found is None:
        raise NotFound(f"course {course_id} material")
    return bytes(found)


def listing(conn: Connection, who: Principal) -> list[dict[str, Any]]:
    c = schema.training_courses.c
    rows = conn.execute(_course_query(conn, who).order_by(c.id.desc()))
    return [{**dict(r._mapping), "has_pdf": bool(r.has_pdf)} for r in rows]


def assign(db: Database, who: Principal, course_id: int, data: AssignIn) -> list[dict[str, Any]]:
    """Assign a course to workers of a project (an assignment already there is kept)."""
    out = []
    with db.begin() as conn:
        require_project(conn, who, data.project_id, *STAFF)
        get(conn, who, course_id, data.project_id)
        a = schema.training_assignments
        for worker_id in dict.fromkeys(data.worker_ids):
            require_worker_on_project(conn, who, data.project_id, worker_id)
            exists = conn.execute(
                select(a.c.id).where(
                    a.c.course_id == course_id,
                    a.c.project_id == data.project_id,
                    a.c.worker_id == worker_id,
                )
            ).scalar()
            if exists is None:
                exists = inserted_id(
                    conn.execute(
                        a.insert().values(
                            course_id=course_id,
                            project_id=data.project_id,
                            worker_id=worker_id,
                            assigned_at=now_iso(),
                            assigned_by=who.username,
                        )
                    )
                )
            out.append({"id": exists, "course_id": course_id, "worker_id": worker_id})
        audit.record(
            conn,
            _actor(who),
            "training.assigned",
            target_kind="training_course",
            target_id=course_id,
            project_id=data.project_id,
            detail={"workers": len(out)},
        )
    return out


def record_completion(
    db: Database, who: Principal, course_id: int, data: CompletionIn, today: date
) -> dict[str, Any]:
    """A worker completed a course on a day (not in the future): valid for the course's days."""
    if data.completed_on > today:
        raise refused("completed_on", N_("the day lies in the future"))
    try:
        with db.begin() as conn:
            require_project(conn, who, data.project_id, *STAFF)
            course = get(conn, who, course_id, data.project_id)
            require_worker_on_project(conn, who, data.project_id, data.worker_id)
            values = {
                "worker_id": data.worker_id,
                "project_id": data.project_id,
                "course": course["title"],
                "course_id": course_id,
                "completed_on": data.completed_on.isoformat(),
                "valid_until": (
                    data.completed_on + timedelta(days=course["valid_days"])
                ).isoformat(),
            }
            new_id = inserted_id(conn.execute(schema.trainings.insert().values(**values)))
            audit.record(
                conn,
                _actor(who),
                "training.completed",
                target_kind="training",
                target_id=new_id,
                project_id=data.project_id,
                detail={"course_id": course_id, "worker_id": data.worker_id, **values},
            )
    except IntegrityError:
        raise NotFound(f"worker {data.worker_id}") from None
    return {"id": new_id, **values}


def state_of(valid_until: str | None, today: date) -> str:
    """valid | expired (a record without an end date stays valid)."""
    return "valid" if valid_until is None or valid_until >= today.isoformat() else "expired"


def worker_courses(conn: Connection, worker_id: str) -> list[dict[str, Any]]:
    """A worker's assigned courses, each with its newest completion and its state:
    pending (not completed), valid, or expired."""
    a, c, t = (
        schema.training_assignments.c,
        schema.training_courses.c,
        schema.trainings.c,
    )
    rows = conn.execute(
        select(
            a.id,
            a.project_id,
            a.assigned_at,
            c.id.label("course_id"),
            c.title,
            c.hours,
            c.material_text,
            c.material_pdf.is_not(None).label("has_pdf"),
        )
        .join(schema.training_courses, c.id == a.course_id)
        .where(a.worker_id == worker_id)
        .order_by(a.id)
    ).all()
    done: dict[tuple[int, str], tuple[str, str | None]] = {}
    for course_id, project_id, completed_on, valid_until in conn.execute(
        select(t.course_id, t.project_id, t.completed_on, t.valid_until)
        .where(t.worker_id == worker_id, t.course_id.is_not(None))
        .order_by(t.completed_on, t.id)
    ):
        done[(course_id, project_id)] = (completed_on, valid_until)
    out = []
    days: dict[str, date] = {}
    for r in rows:
        completed_on, valid_until = done.get((r.course_id, r.project_id), (None, None))
        if r.project_id not in days:
            days[r.project_id] = site_today(conn, r.project_id)
        today = days[r.project_id]
        state = "pending" if completed_on is None else state_of(valid_until, today)
        out.append(
            {
                **dict(r._mapping),
                "has_pdf": bool(r.has_pdf),
                "completed_on": completed_on,
                "valid_until": valid_until,
                "state": state,
            }
        )
    return out


def completions_select(conn: Connection, who: Principal, project_id: str) -> Select[Any]:
    """A project's training records in the caller's reach (its own and project-less ones of
    its workers): the console's list and ``GET /api/v1/projects/{id}/trainings``."""
    require_project(conn, who, project_id)
    t, w, e = schema.trainings.c, schema.workers.c, schema.employments.c
    q = (
        select(
            t.id,
            t.worker_id,
            w.name.label("worker_name"),
            t.course,
            t.course_id,
            t.completed_on,
            t.valid_until,
        )
        .join(schema.workers, w.id == t.worker_id)
        .where(or_(t.project_id == project_id, t.project_id.is_(None)))
        .where(t.worker_id.in_(select(e.worker_id).where(e.project_id == project_id)))
    )
    clause = trainings_filter(conn, who)
    return q if clause is None else q.where(clause)


def with_state(rows: list[dict[str, Any]], today: date) -> None:
    """Each record's state today (valid | expired), in place."""
    for row in rows:
        row["state"] = state_of(row["valid_until"], today)


def completions(
    conn: Connection, who: Principal, project_id: str, today: date
) -> list[dict[str, Any]]:
    """A project's training records in the caller's reach, newest first, with their state."""
    t = schema.trainings.c
    q = completions_select(conn, who, project_id).order_by(t.completed_on.desc(), t.id.desc())
    rows = [dict(r._mapping) for r in conn.execute(q)]
    with_state(rows, today)
    return rows


def project_assignments(
    conn: Connection, who: Principal, project_id: str, today: date
) -> list[dict[str, Any]]:
    """A project's assignments in the caller's reach (a subcontractor: its own workers'),
    each with the worker's newest completion of the course and its state."""
    require_project(conn, who, project_id)
    a, c, w = (
        schema.training_assignments.c,
        schema.training_courses.c,
        schema.workers.c,
    )
    q = (
        select(a.id, a.worker_id, w.name.label("worker_name"), c.id.label("course_id"), c.title)
        .join(schema.training_courses, c.id == a.course_id)
        .join(schema.workers, w.id == a.worker_id)
        .where(a.project_id == project_id)
    )
    visible = project_worker_ids(conn, who, project_id)
    if visible is not None:
        q = q.where(a.worker_id.in_(sorted(visible)))
    t = schema.trainings.c
    done: dict[tuple[str, int], str | None] = {}
    for worker_id, course_id, valid_until in conn.execute(
        select(t.worker_id, t.course_id, t.valid_until)
        .where(t.project_id == project_id, t.course_id.is_not(None))
        .order_by(t.completed_on, t.id)
    ):
        done[(worker_id, course_id)] = valid_until
    out = []
    for r in conn.execute(q.order_by(c.title, w.name)):
        key = (r.worker_id, r.course_id)
        state = state_of(done[key], today) if key in done else "pending"
        out.append({**dict(r._mapping), "valid_until": done.get(key), "state": state})
    return out
