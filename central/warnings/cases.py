"""An arrears case opened from a warning: the inspector turns a wage warning (wages overdue,
underpaid, not paid monthly …) into a case of the arrears register (存量欠薪案件) and both
records point at each other.

The case is opened by the register's one function (central/registry/arrears.py
``open_case``: source ``warning``, ``source_ref`` the warning's id, audited, first history
row); the warning's history gets a ``case_opened`` row naming the case, in the same
transaction. A warning has at most one open case at a time (a second would count the same
debt twice in the overview's arrears figures); once that case is resolved another may be
opened. Scope is the caller's: ``require_warning`` and the supervisor role are checked
before this runs, exactly as for handling the warning.
"""

from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from central import audit
from central.errors import N_, Conflict, InvalidInput, NotFound
from central.registry.arrears import MAX_WORKERS, Case, CaseIn, open_case
from central.storage import schema
from central.validation import Fen, FreeText
from central.warnings.store import add_history

SOURCE = "warning"


class FromWarning(BaseModel):
    """What the inspector states when opening a case from a warning; the project is the
    warning's."""

    amount_fen: Fen
    workers: int = Field(ge=0, le=MAX_WORKERS)
    summary: FreeText


def linked_cases(conn: Connection, warning_id: int) -> list[Case]:
    """The cases opened from this warning, newest first."""
    a = schema.arrears_cases.c
    rows = conn.execute(
        select(schema.arrears_cases)
        .where(a.source == SOURCE, a.source_ref == str(warning_id))
        .order_by(a.id.desc())
    )
    return [Case.model_validate(r._mapping) for r in rows]


def open_from_warning(
    conn: Connection, actor: audit.Actor, warning_id: int, data: FromWarning
) -> Case:
    """Open a case on the warning's project, linked both ways (the caller checked scope)."""
    w = schema.wage_warnings.c
    found = conn.execute(select(w.project_id).where(w.id == warning_id)).first()
    if found is None:
        raise NotFound(f"warning {warning_id}")
    project_id = found.project_id
    if project_id is None:
        raise InvalidInput.of(N_("this warning names no project: open the case from the register"))
    open_ones = [c.id for c in linked_cases(conn, warning_id) if c.status == "open"]
    if open_ones:
        raise Conflict.of(
            N_("arrears case %(case)s opened from this warning is still open"), case=open_ones[0]
        )
    opened = open_case(
        conn,
        actor,
        CaseIn(
            project_id=project_id,
            source=SOURCE,
            source_ref=str(warning_id),
            amount_fen=data.amount_fen,
            workers=data.workers,
            summary=data.summary,
        ),
    )
    add_history(
        conn, warning_id, actor.name, actor.role, "case_opened", data.summary, {"case": opened.id}
    )
    return opened
