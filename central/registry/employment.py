"""Employment (worker × project × employer × team × trade, with pay terms), labour contracts and
safety training: the records that decide who is paid what, and who may be on site at all.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import IntegrityError

from central.clock import now_iso
from central.errors import N_, Conflict, InvalidInput, InvalidValue
from central.registry import staff_spans, validation
from central.storage import Database, schema
from central.storage.lookup import inserted_id
from central.validation import DbId, LocalDate, ProjectId, ShortText, clean_line
from central.wages.rules import PayTerms
from wireproto.messages import WorkerId

Text100 = ShortText


class EmploymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: WorkerId
    project_id: ProjectId
    employer_id: DbId
    team: Text100 | None = None
    trade: Text100 | None = None
    start_date: LocalDate
    end_date: LocalDate | None = None
    terms: PayTerms

    @model_validator(mode="after")
    def _order(self) -> "EmploymentIn":
        if self.end_date and self.end_date < self.start_date:
            raise InvalidValue(N_("end_date is before start_date"))
        return self


class LinkIn(BaseModel):
    """Employ a person already registered (by anyone), found by their resident ID number.

    One person has one real-name record (一人一档); a new employer links to it and gets its
    own employment, never the other employers' records (central/auth/scope.py).
    """

    model_config = ConfigDict(extra="forbid")

    id_number: Annotated[str, Field(description="the worker's resident ID number (GB 11643)")]
    project_id: ProjectId
    employer_id: DbId
    team: Text100 | None = None
    trade: Text100 | None = None
    start_date: LocalDate
    end_date: LocalDate | None = None
    terms: PayTerms

    @field_validator("id_number")
    @classmethod
    def _ric(cls, value: str) -> str:
        try:
            return validation.resident_id(value)
        except InvalidInput as exc:
            raise InvalidValue.from_error(exc) from None

    def employment(self, worker_id: str) -> EmploymentIn:
        return EmploymentIn(worker_id=worker_id, **self.model_dump(exclude={"id_number"}))


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: WorkerId
    employer_id: DbId
    project_id: ProjectId
    status: Literal["signed", "terminated"] = "signed"
    signed_on: LocalDate
    document_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    document_text: Annotated[str, Field(max_length=200_000)] | None = Field(
        None, description="hashed here when no hash is given"
    )

    @model_validator(mode="after")
    def _hash(self) -> "ContractIn":
        if self.document_sha256 is None:
            if self.document_text is None:
                raise ValueError("give document_sha256 or document_text")
            digest = hashlib.sha256(self.document_text.encode()).hexdigest()
            object.__setattr__(self, "document_sha256", digest)
        return self


class TrainingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: WorkerId
    project_id: ProjectId | None = None
    course: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(clean_line)]
    completed_on: LocalDate
    valid_until: date | None = None


def _insert(db: Database, table: Table, values: dict[str, object]) -> int:
    try:
        with db.begin() as conn:
            return inserted_id(conn.execute(table.insert().values(**values)))
    except IntegrityError:
        raise Conflict("refers to a worker, project or enterprise that does not exist") from None


def site_employers(conn: Connection, worker_id: str) -> dict[str, set[int]]:
    """Each site the worker is employed on → the enterprises answerable for them there: their
    employers on that site and its general contractor. A face consent or a gate card given to
    one of these enterprises is what lets that site's gates hold the worker's face or card."""
    e, p = schema.employments.c, schema.projects.c
    out: dict[str, set[int]] = {}
    for site, employer, contractor in conn.execute(
        select(e.project_id, e.employer_id, p.contractor_id)
        .join(schema.projects, p.id == e.project_id)
        .where(e.worker_id == worker_id)
    ):
        out.setdefault(site, set()).update((employer, contractor))
    return out


def add_employment(db: Database, data: EmploymentIn) -> dict[str, object]:
    """Record the employment; the worker's ``staff_spans`` follow in the same transaction."""
    values = {
        **data.model_dump(exclude={"terms"}),
        "start_date": data.start_date.isoformat(),
        "end_date": data.end_date.isoformat() if data.end_date else None,
        "terms": data.terms.model_dump_json(),
        "created_at": now_iso(),
    }
    try:
        with db.begin() as conn:
            made = inserted_id(conn.execute(schema.employments.insert().values(**values)))
            staff_spans.refresh(conn, [data.worker_id])
    except IntegrityError:
        raise Conflict("refers to a worker, project or enterprise that does not exist") from None
    return {"id": made, **values}


def add_contract(db: Database, data: ContractIn) -> dict[str, object]:
    values = {
        **data.model_dump(exclude={"document_text"}),
        "signed_on": data.signed_on.isoformat(),
        "created_at": now_iso(),
    }
    return {"id": _insert(db, schema.contracts, values), **values}


def add_training(db: Database, data: TrainingIn) -> dict[str, object]:
    values = {
        **data.model_dump(),
        "completed_on": data.completed_on.isoformat(),
        "valid_until": data.valid_until.isoformat() if data.valid_until else None,
    }
    return {"id": _insert(db, schema.trainings, values), **values}


@dataclass(frozen=True, slots=True)
class Engagement:
    """One employment period with its parsed terms."""

    employer_id: int
    start: date
    end: date | None
    terms: PayTerms

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def engagements(
    conn: Connection, project_id: str, first: date, last: date
) -> dict[str, list[Engagement]]:
    """Every worker's employment periods on a project that overlap ``first``..``last``."""
    e = schema.employments.c
    rows = conn.execute(
        select(e.worker_id, e.employer_id, e.start_date, e.end_date, e.terms)
        .where(e.project_id == project_id, e.start_date <= last.isoformat())
        .order_by(e.id)
    )
    found: dict[str, list[Engagement]] = {}
    parsed: dict[str, PayTerms] = {}
    for worker_id, employer_id, start, end, terms in rows:
        if end is not None and end < first.isoformat():
            continue
        if terms not in parsed:
            parsed[terms] = PayTerms.model_validate(json.loads(terms))
        found.setdefault(worker_id, []).append(
            Engagement(
                employer_id,
                date.fromisoformat(start),
                date.fromisoformat(end) if end else None,
                parsed[terms],
            )
        )
    return found
