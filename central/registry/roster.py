"""Putting people on a project's roster: a new person with their employment, or a person
already registered (by anyone) linked by resident ID number, any number of them in ONE
transaction.

A worker without an employment is nobody's to see (central/auth/scope.py reaches workers
through employments), so a new worker and their employment are written together: either both
exist or neither does. A roster import is the same step over many rows: one refusal rolls
back every row (nothing half-imported). Who may employ for which enterprise on which project
is the caller's to check first (``scope.require_employer_on``), exactly as the API does.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from central.clock import now_iso
from central.errors import N_, Conflict, InvalidValue
from central.registry import enrollment, gate_cards, staff_spans
from central.registry.employment import EmploymentIn
from central.registry.sealing import Sealer
from central.registry.workers import WorkerIn, by_id_number, row_values
from central.storage import Database, schema
from central.storage.lookup import inserted_id
from central.validation import DbId, LocalDate, ProjectId, ShortText
from central.wages.rules import PayTerms


class Hire(BaseModel):
    """An employment without its worker: project, employer, team, trade, dates, pay terms."""

    model_config = ConfigDict(extra="forbid")

    project_id: ProjectId
    employer_id: DbId
    team: ShortText | None = None
    trade: ShortText | None = None
    start_date: LocalDate
    end_date: LocalDate | None = None
    terms: PayTerms

    def of(self, worker_id: str) -> EmploymentIn:
        return EmploymentIn(worker_id=worker_id, **self.model_dump())


@dataclass(frozen=True, slots=True)
class Entry:
    """One person for the roster and their employment; ``person.id`` is used only when the
    ID number is not registered yet (otherwise the import links the one existing record)."""

    hire: Hire
    person: WorkerIn


@dataclass(frozen=True, slots=True)
class Placed:
    worker_id: str
    employment_id: int
    how: Literal["registered", "linked"]


class Refused(Conflict):
    """An entry that cannot be placed; nothing of the whole call was written.

    ``index``: which entry (0-based); ``reason``: ``registered`` (the ID number is registered
    and linking was not asked for), ``employed`` (this employer employs them here already) or
    ``worker_id`` (the chosen worker id is taken). The message never names another record.
    """

    def __init__(self, index: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.reason = reason


def fen_of_yuan(value: object) -> int:
    """``"360"``, ``"360.5"``, ``"1,200.00"`` or a number of yuan → integer fen; ValueError
    for anything else (not a number, not above zero, a fraction of a fen)."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidValue(N_("not a number of yuan")) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidValue(N_("must be more than 0 yuan"))
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise InvalidValue(N_("at most two decimals (fen)"))
    return int(fen)


def new_worker_id(conn: Connection) -> str:
    """A fresh gate-side worker id (``W`` and ten hex digits), unused in the registry."""
    w = schema.workers.c
    while True:
        candidate = "W" + secrets.token_hex(5).upper()
        if conn.execute(select(w.id).where(w.id == candidate)).first() is None:
            return candidate


def employed_here(conn: Connection, worker_id: str, hire: Hire) -> bool:
    """Whether ``hire``'s employer employs the worker on its project already."""
    e = schema.employments.c
    q = select(e.id).where(
        e.worker_id == worker_id,
        e.project_id == hire.project_id,
        e.employer_id == hire.employer_id,
    )
    return conn.execute(q.limit(1)).first() is not None


def _employ(conn: Connection, worker_id: str, hire: Hire) -> int:
    data = hire.of(worker_id)
    values = {
        **data.model_dump(exclude={"terms"}),
        "start_date": data.start_date.isoformat(),
        "end_date": data.end_date.isoformat() if data.end_date else None,
        "terms": data.terms.model_dump_json(),
        "created_at": now_iso(),
    }
    made = inserted_id(conn.execute(schema.employments.insert().values(**values)))
    staff_spans.refresh(conn, [worker_id])  # the overview's summary, in this transaction
    return made


def place(
    db: Database, sealer: Sealer, entries: Sequence[Entry], *, link_known: bool
) -> list[Placed]:
    """Register (or, with ``link_known``, link) every entry and employ them, all or nothing.

    A person whose ID number is registered already is refused without naming the record
    (:class:`DuplicateIdNumber`) unless ``link_known``: then this employer's employment is
    added to that one record (一人一档), as ``POST /api/v1/employments/by-id-number`` does. A
    person this employer already employs on the project is refused too. The first refusal
    raises :class:`Refused` with nothing written.
    """
    placed: list[Placed] = []
    try:
        with db.begin() as conn:
            for n, entry in enumerate(entries):
                placed.append(_place_one(conn, sealer, n, entry, link_known=link_known))
    except IntegrityError:  # a concurrent registration of the same id or number
        raise Conflict("a worker id or ID number was registered just now: try again") from None
    return placed


def _place_one(
    conn: Connection, sealer: Sealer, n: int, entry: Entry, *, link_known: bool
) -> Placed:
    person, hire = entry.person, entry.hire
    existing = by_id_number(conn, sealer, person.id_number)
    if existing is not None:
        if not link_known:
            raise Refused(
                n,
                "registered",
                "this ID number is already registered: one person has one record; "
                "link them by ID number instead",
            )
        if employed_here(conn, existing, hire):
            raise Refused(n, "employed", "this employer already employs this person here")
        return Placed(existing, _employ(conn, existing, hire), "linked")
    w = schema.workers.c
    if conn.execute(select(w.id).where(w.id == person.id)).first() is not None:
        raise Refused(n, "worker_id", f"worker id {person.id} is taken: choose another")
    conn.execute(schema.workers.insert().values(**row_values(sealer, person)))
    return Placed(person.id, _employ(conn, person.id, hire), "registered")


def publish(
    db: Database,
    sealer: Sealer,
    worker_id: str,
    site: str,
    galleries: enrollment.SiteGalleries,
    changed: enrollment.SiteChanged,
) -> None:
    """A linked person's face (if a consent covers this site) and gate cards go to the new
    site's gates, as after ``POST /api/v1/employments``."""
    enrollment.publish_to_site(db, sealer, worker_id, site, galleries, changed)
    gate_cards.publish_to_site(db, worker_id, site, galleries, changed)  # type: ignore[arg-type]  # the site galleries serve both


def link(db: Database, worker_id: str, hire: Hire) -> Placed:
    """Employ a registered person (found by ID number) for ``hire``'s employer: refused
    (:class:`Refused` ``employed``) when that employer employs them on the project already."""
    with db.begin() as conn:
        if employed_here(conn, worker_id, hire):
            raise Refused(0, "employed", "this employer already employs this person here")
        return Placed(worker_id, _employ(conn, worker_id, hire), "linked")


def terms_of(stored: str) -> PayTerms:
    """An employment's stored pay terms (JSON) as the model."""
    return PayTerms.model_validate_json(stored)
