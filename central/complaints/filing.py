"""Filing a wage complaint and following it: the worker's side of an arrears case.

A complaint names one of the worker's own projects, the months unpaid and the amount owed.
Filing it does three things in one transaction, so none can exist without the others: the
complaint row, an arrears case in the register (``source = complaint``) and a ``complaint``
warning in the queue of the supervisors over the project's division (both scoped by project
in central/auth/scope.py, so a supervisor of another city never sees either). The SLA date
is fixed at filing from the deployment's setting; central/warnings/complaints.py raises a
``complaint_overdue`` warning once it passes unhandled.

The worker follows it through what supervisors do anyway: the warning's history (assigned,
escalated, resolved, reopened) and the case's status changes from the audit log. Notes the
supervisors write to each other are not shown to the worker; a case's written resolution is.
"""

import json
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, Row, Select, func, select

from central import audit
from central.clock import now_iso
from central.errors import N_, Conflict, InvalidInput, NotFound
from central.registry import arrears
from central.storage import Database, schema
from central.validation import Month, ProjectId
from central.validation.text import clean_text
from central.warnings.store import raise_warning

KIND = "complaint"
OVERDUE_KIND = "complaint_overdue"
#: At most this many complaints open at once per worker: enough for every employer, not a flood.
MAX_OPEN = 5
MAX_MONTHS = 12
#: Months further back than this are for arbitration or the courts, not a complaint here.
OLDEST_MONTHS = 36
#: 1,000,000 yuan: more than any one worker's wages for three years.
MAX_OWED_FEN = 100_000_000
Status = Literal["received", "in_progress", "resolved"]


class ComplaintIn(BaseModel):
    """What the worker says: which project, which months, how much, in their words."""

    model_config = ConfigDict(extra="forbid")

    project_id: ProjectId
    months: Annotated[list[Month], Field(min_length=1, max_length=MAX_MONTHS)]
    amount_fen: Annotated[int, Field(ge=100, le=MAX_OWED_FEN, description="owed, integer fen")]
    description: Annotated[str, Field(min_length=10, max_length=1000), AfterValidator(clean_text)]

    @field_validator("months")
    @classmethod
    def _distinct(cls, months: list[str]) -> list[str]:
        return sorted(set(months))


class Step(BaseModel):
    """One change the worker sees: when, what (a stable code the page translates)."""

    at: str
    what: Literal[
        "filed",
        "assigned",
        "escalated",
        "resolved",
        "reopened",
        "overdue",
        "case_resolved",
        "case_reopened",
    ]


class Complaint(BaseModel):
    id: int
    project_id: str
    project_name: str
    months: list[str]
    amount_fen: int
    description: str
    filed_at: str
    due_on: str
    status: Status
    overdue: bool
    resolution: str | None
    arrears_case_id: int | None
    warning_id: int | None
    steps: list[Step]


def _check_months(months: list[str], today: date) -> None:
    this = today.strftime("%Y-%m")
    oldest_index = today.year * 12 + today.month - 1 - OLDEST_MONTHS
    oldest = f"{oldest_index // 12:04d}-{oldest_index % 12 + 1:02d}"
    for month in months:
        if month > this:
            raise InvalidInput.of(N_("months: %(month)s has not begun yet"), month=month)
        if month < oldest:
            raise InvalidInput.of(
                N_(
                    "months: %(month)s is more than %(oldest)s months ago; "
                    "ask the labour arbitration committee (12333)"
                ),
                month=month,
                oldest=OLDEST_MONTHS,
            )


def worker_projects(conn: Connection, worker_id: str) -> list[tuple[str, str]]:
    """(id, name) of every project the worker is or was employed on: the complaint's choices."""
    e, p = schema.employments.c, schema.projects.c
    rows = conn.execute(
        select(p.id, p.name)
        .join(schema.employments, e.project_id == p.id)
        .where(e.worker_id == worker_id)
        .distinct()
        .order_by(p.name)
    )
    return [(r.id, r.name) for r in rows]


def _open_count(conn: Connection, worker_id: str) -> int:
    c, a = schema.wage_complaints.c, schema.arrears_cases.c
    return conn.execute(
        select(func.count())
        .select_from(schema.wage_complaints.join(schema.arrears_cases, a.id == c.arrears_case_id))
        .where(c.worker_id == worker_id, a.status == "open")
    ).scalar_one()


def _same_open(conn: Connection, worker_id: str, project_id: str, months: list[str]) -> bool:
    c, a = schema.wage_complaints.c, schema.arrears_cases.c
    rows = conn.execute(
        select(c.months)
        .select_from(schema.wage_complaints.join(schema.arrears_cases, a.id == c.arrears_case_id))
        .where(c.worker_id == worker_id, c.project_id == project_id, a.status == "open")
    ).scalars()
    return any(set(m.split(",")) & set(months) for m in rows)


def file_complaint(
    db: Database,
    actor: audit.Actor,
    worker_id: str,
    data: ComplaintIn,
    today: date,
    sla_days: int,
) -> Complaint:
    """File the complaint, open its arrears case and raise its warning, all or nothing."""
    _check_months(data.months, today)
    with db.begin() as conn:
        names = dict(worker_projects(conn, worker_id))
        if data.project_id not in names:
            raise InvalidInput.of(N_("project_id: not one of your projects"))
        if _open_count(conn, worker_id) >= MAX_OPEN:
            raise Conflict.of(
                N_("you have %(open)s complaints still open: wait for one to be handled"),
                open=MAX_OPEN,
            )
        if _same_open(conn, worker_id, data.project_id, data.months):
            raise Conflict.of(
                N_("months: a complaint about these months on this project is still open")
            )
        worker = conn.execute(
            select(schema.workers.c.name).where(schema.workers.c.id == worker_id)
        ).scalar_one()
        due = today + timedelta(days=sla_days)
        t = schema.wage_complaints
        months = ",".join(data.months)
        complaint_id = int(
            conn.execute(
                t.insert().values(
                    worker_id=worker_id,
                    project_id=data.project_id,
                    months=months,
                    amount_fen=data.amount_fen,
                    description=data.description,
                    filed_at=now_iso(),
                    due_on=due.isoformat(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]  # an INSERT of one row has its key
        )
        case = arrears.open_case(
            conn,
            actor,
            arrears.CaseIn(
                project_id=data.project_id,
                source="complaint",
                source_ref=f"complaint-{complaint_id}",
                amount_fen=data.amount_fen,
                workers=1,
                summary=data.description[:500],
            ),
        )
        key = f"{KIND}:{complaint_id}"
        raise_warning(
            conn,
            key=key,
            kind=KIND,
            severity="high",
            project_id=data.project_id,
            worker_id=worker_id,
            params={
                "worker": f"{worker} ({worker_id})",
                "amount_fen": data.amount_fen,
                "months": months,
            },
            evidence={
                "complaint": complaint_id,
                "arrears_case": case.id,
                "months": months,
                "amount_fen": data.amount_fen,
                "due_on": due.isoformat(),
                "description": data.description,
            },
        )
        w = schema.wage_warnings.c
        warning_id = conn.execute(select(w.id).where(w.key == key)).scalar_one()
        conn.execute(
            t.update()
            .where(t.c.id == complaint_id)
            .values(arrears_case_id=case.id, warning_id=warning_id)
        )
        audit.record(
            conn,
            actor,
            "complaint.filed",
            target_kind="complaint",
            target_id=complaint_id,
            project_id=data.project_id,
            detail={"amount_fen": data.amount_fen, "months": months, "arrears_case": case.id},
        )
        return _one(conn, worker_id, complaint_id)


_WARNING_STEPS = {"assigned", "escalated", "resolved", "reopened"}


def _steps(conn: Connection, row: Row[Any]) -> list[Step]:
    """What happened to it, oldest first: the warning's handling, the case's status changes."""
    steps = [Step(at=row.filed_at, what="filed")]
    if row.overdue_at is not None:
        steps.append(Step(at=row.overdue_at, what="overdue"))
    h = schema.warning_history.c
    if row.warning_id is not None:
        history = select(h.at, h.action).where(h.warning_id == row.warning_id).order_by(h.id)
        steps += [Step(at=at, what=a) for at, a in conn.execute(history) if a in _WARNING_STEPS]
    log = schema.audit_log.c
    if row.arrears_case_id is not None:
        changes = (
            select(log.at, log.detail)
            .where(
                log.target_kind == "arrears_case",
                log.target_id == str(row.arrears_case_id),
                log.action == "arrears.updated",
            )
            .order_by(log.id)
        )
        for at, detail in conn.execute(changes):
            status = json.loads(detail or "{}").get("status")
            if status in ("resolved", "open"):
                steps.append(
                    Step(at=at, what="case_resolved" if status == "resolved" else "case_reopened")
                )
    return sorted(steps, key=lambda s: s.at)


def _select() -> Select[Any]:
    c, p, a, w = (
        schema.wage_complaints.c,
        schema.projects.c,
        schema.arrears_cases.c,
        schema.wage_warnings.c,
    )
    return (
        select(
            *schema.wage_complaints.c,
            p.name.label("project_name"),
            a.status.label("case_status"),
            a.resolution.label("resolution"),
            w.state.label("warning_state"),
        )
        .select_from(
            schema.wage_complaints.join(schema.projects, p.id == c.project_id)
            .outerjoin(schema.arrears_cases, a.id == c.arrears_case_id)
            .outerjoin(schema.wage_warnings, w.id == c.warning_id)
        )
        .order_by(c.id.desc())
    )


def _complaint(conn: Connection, row: Row[Any]) -> Complaint:
    steps = _steps(conn, row)
    if row.case_status == "resolved" or row.warning_state == "handled":
        status: Status = "resolved"
    elif any(s.what not in ("filed", "overdue") for s in steps):
        status = "in_progress"
    else:
        status = "received"
    return Complaint(
        id=row.id,
        project_id=row.project_id,
        project_name=row.project_name,
        months=row.months.split(","),
        amount_fen=row.amount_fen,
        description=row.description,
        filed_at=row.filed_at,
        due_on=row.due_on,
        status=status,
        overdue=row.overdue_at is not None,
        resolution=row.resolution if row.case_status == "resolved" else None,
        arrears_case_id=row.arrears_case_id,
        warning_id=row.warning_id,
        steps=steps,
    )


def _one(conn: Connection, worker_id: str, complaint_id: int) -> Complaint:
    c = schema.wage_complaints.c
    row = conn.execute(_select().where(c.id == complaint_id, c.worker_id == worker_id)).first()
    if row is None:
        raise NotFound(f"complaint {complaint_id}")
    return _complaint(conn, row)


def complaint(db: Database, worker_id: str, complaint_id: int) -> Complaint:
    """One of the worker's own complaints; anyone else's answers 404 like a missing one."""
    with db.engine.connect() as conn:
        return _one(conn, worker_id, complaint_id)


def complaints_of(db: Database, worker_id: str) -> list[Complaint]:
    """The worker's own complaints, newest first, each with its steps."""
    c = schema.wage_complaints.c
    with db.engine.connect() as conn:
        rows = conn.execute(_select().where(c.worker_id == worker_id).limit(100)).all()
        return [_complaint(conn, r) for r in rows]
