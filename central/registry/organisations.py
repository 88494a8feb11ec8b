"""Enterprises (general contractor, subcontractors) and projects, which are the gates' sites."""

from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from central.clock import DEFAULT_ZONE, now_iso
from central.errors import Conflict, InvalidInput
from central.registry import validation
from central.storage import Database, schema
from central.storage.lookup import by_id
from central.wages.holidays import DayKind, WorkCalendar
from wireproto.topics import ID_PATTERN


class EnterpriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    uscc: Annotated[str, Field(description="unified social credit code (18 characters)")]
    kind: Literal["general_contractor", "subcontractor"]

    @field_validator("uscc")
    @classmethod
    def _check(cls, value: str) -> str:
        return validation.credit_code(value)


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=rf"^{ID_PATTERN}$", description="= the gates' site id")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    contractor_id: int
    timezone: str = DEFAULT_ZONE
    pay_due_day: Annotated[int, Field(ge=1, le=31, description="day of the following month")] = 15

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


def _insert(db: Database, table, values: dict[str, object], what: str) -> int:  # type: ignore[no-untyped-def]
    try:
        with db.begin() as conn:
            return conn.execute(table.insert().values(**values)).inserted_primary_key[0]
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
