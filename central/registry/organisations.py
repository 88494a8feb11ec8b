"""Enterprises (general contractor, subcontractors) and projects, which are the gates' sites.

A project has one general contractor (``projects.contractor_id``) and any number of
subcontractors registered on it (``project_enterprises``); who may see and do what follows
from those roles (central/auth/scope.py, docs/tenancy.md).
"""

from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import IntegrityError

from central.clock import DEFAULT_ZONE, now_iso
from central.errors import N_, Conflict, InvalidInput, InvalidValue, NotFound
from central.registry import validation
from central.storage import Database, schema
from central.storage.lookup import by_id, inserted_key
from central.validation import DbId, clean_line
from central.wages.holidays import DayKind, WorkCalendar
from wireproto.topics import ID_PATTERN


class EnterpriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(clean_line)]
    uscc: Annotated[str, Field(description="unified social credit code (18 characters)")]
    kind: Literal["general_contractor", "subcontractor"]

    @field_validator("uscc")
    @classmethod
    def _check(cls, value: str) -> str:
        return validation.credit_code(value)


ProjectStatus = Literal["under_construction", "suspended", "completed"]
SubcontractorRole = Literal["subcontractor", "labour_subcontractor"]


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=rf"^{ID_PATTERN}$", description="= the gates' site id")]
    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(clean_line)]
    contractor_id: DbId
    timezone: Annotated[str, Field(max_length=64)] = DEFAULT_ZONE
    pay_due_day: Annotated[int, Field(ge=1, le=31, description="day of the following month")] = 15
    division_code: Annotated[
        str, Field(description="GB/T 2260 county (or city) code of the site, e.g. 450102")
    ]
    status: ProjectStatus = "under_construction"

    @field_validator("division_code")
    @classmethod
    def _division(cls, value: str) -> str:
        try:
            return validation.division_code(value)
        except InvalidInput as exc:
            raise InvalidValue.from_error(exc) from None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidValue(N_("unknown time zone %(zone)s"), zone=repr(value)) from None
        return value


def _insert(db: Database, table: Table, values: dict[str, object], what: str) -> object:
    try:
        with db.begin() as conn:
            return inserted_key(conn.execute(table.insert().values(**values)))
    except IntegrityError:
        raise Conflict(f"{what} already exists or refers to a missing record") from None


def create_enterprise(db: Database, data: EnterpriseIn) -> dict[str, object]:
    values = {**data.model_dump(), "created_at": now_iso()}
    new_id = _insert(db, schema.enterprises, values, f"enterprise with code {data.uscc}")
    return {"id": new_id, **values}


def create_project(db: Database, data: ProjectIn) -> dict[str, object]:
    with db.engine.connect() as conn:
        enterprise(conn, data.contractor_id)
    values = {**data.model_dump(), "created_at": now_iso(ZoneInfo(data.timezone))}
    _insert(db, schema.projects, values, f"project {data.id}")
    return values


class ProjectChange(BaseModel):
    """What the general contractor may change on its project: its status and division."""

    model_config = ConfigDict(extra="forbid")

    status: ProjectStatus | None = None
    division_code: str | None = None

    @field_validator("division_code")
    @classmethod
    def _division(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validation.division_code(value)
        except InvalidInput as exc:
            raise InvalidValue.from_error(exc) from None


def change_project(db: Database, project_id: str, data: ProjectChange) -> dict[str, object]:
    values = data.model_dump(exclude_none=True)
    with db.begin() as conn:
        project(conn, project_id)
        if values:
            p = schema.projects
            conn.execute(p.update().where(p.c.id == project_id).values(**values))
        return project(conn, project_id)


class ProjectEnterpriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: DbId
    role: SubcontractorRole = "subcontractor"


def register_on_project(
    db: Database, project_id: str, data: ProjectEnterpriseIn, by_user: str
) -> dict[str, object]:
    """Register a subcontractor on a project; it may then employ its own workers there."""
    with db.begin() as conn:
        found = project(conn, project_id)
        enterprise(conn, data.enterprise_id)
        if found["contractor_id"] == data.enterprise_id:
            raise Conflict("the general contractor is on its project already")
        values = {
            "project_id": project_id,
            **data.model_dump(),
            "registered_at": now_iso(),
            "registered_by": by_user,
        }
        t = schema.project_enterprises
        exists = conn.execute(
            select(t.c.role).where(
                t.c.project_id == project_id, t.c.enterprise_id == data.enterprise_id
            )
        ).first()
        if exists is not None:
            raise Conflict(f"enterprise {data.enterprise_id} is registered on {project_id}")
        conn.execute(t.insert().values(**values))
    return values


def project_enterprises(conn: Connection, project_id: str) -> list[dict[str, object]]:
    """The general contractor first, then the registered subcontractors."""
    p, e, t = schema.projects.c, schema.enterprises.c, schema.project_enterprises.c
    general = conn.execute(
        select(e.id, e.name, e.uscc, p.created_at)
        .join(schema.projects, p.contractor_id == e.id)
        .where(p.id == project_id)
    ).first()
    if general is None:  # an admin reaches every project id, even one never registered
        raise NotFound(f"project {project_id}")
    out: list[dict[str, object]] = [
        {
            "enterprise_id": general.id,
            "name": general.name,
            "uscc": general.uscc,
            "role": "general_contractor",
            "registered_at": general.created_at,
            "registered_by": None,
        }
    ]
    rows = conn.execute(
        select(e.id, e.name, e.uscc, t.role, t.registered_at, t.registered_by)
        .join(schema.enterprises, e.id == t.enterprise_id)
        .where(t.project_id == project_id)
        .order_by(t.registered_at, e.id)
    )
    out += [
        {
            "enterprise_id": r.id,
            "name": r.name,
            "uscc": r.uscc,
            "role": r.role,
            "registered_at": r.registered_at,
            "registered_by": r.registered_by,
        }
        for r in rows
    ]
    return out


def enterprise(conn: Connection, enterprise_id: int) -> dict[str, object]:
    return by_id(conn, schema.enterprises, enterprise_id, "enterprise")


def project(conn: Connection, project_id: str) -> dict[str, object]:
    return by_id(conn, schema.projects, project_id, "project")


def project_zone(conn: Connection, project_id: str) -> ZoneInfo:
    return ZoneInfo(str(project(conn, project_id)["timezone"]))


def project_gates(conn: Connection, project_id: str) -> list[str]:
    """The gates of a project are the devices provisioned for its site."""
    d = schema.devices.c
    return list(
        conn.execute(select(d.device).where(d.site == project_id).order_by(d.device)).scalars()
    )


def set_calendar_day(
    db: Database, project_id: str, day: date, kind: DayKind, note: str | None = None
) -> None:
    """A site override of the national calendar for one date."""
    with db.begin() as conn:
        project(conn, project_id)
        t = schema.project_calendar
        conn.execute(t.delete().where(t.c.project_id == project_id, t.c.day == day.isoformat()))
        conn.execute(
            t.insert().values(
                project_id=project_id, day=day.isoformat(), kind=kind.value, note=note
            )
        )


def work_calendar(conn: Connection, project_id: str) -> WorkCalendar:
    t = schema.project_calendar.c
    rows = conn.execute(select(t.day, t.kind).where(t.project_id == project_id))
    try:
        return WorkCalendar({date.fromisoformat(d): DayKind(k) for d, k in rows})
    except ValueError as exc:
        raise InvalidInput(f"calendar override of {project_id}: {exc}") from None
