"""Worker confirmation: the digital form of the paper wage sheet workers sign today.

Before a batch goes to the bank each worker can see their own line (days, hours, amount) and
confirm it, or dispute it with a reason. A disputed line is held back from the bank file and
flagged to the contractor and the supervisor; the wage sheet records who confirmed what, when.
"""

from typing import Any

from sqlalchemy import Connection, Select, select

from central.clock import now_iso
from central.errors import Conflict, InvalidInput, NotFound
from central.payroll.batches import batch, flag_dispute, log
from central.payroll.worker_lines import pay_columns
from central.storage import Database, schema
from central.storage.lookup import as_int, by_id

OPEN_FOR_CONFIRMATION = ("draft", "approved")


def line(conn: Connection, line_id: int) -> dict[str, object]:
    return by_id(conn, schema.payroll_lines, line_id, "payroll line")


def respond(
    db: Database, line_id: int, worker_id: str, *, confirm: bool, reason: str | None = None
) -> dict[str, object]:
    """The worker's answer to their line; a dispute needs a reason."""
    with db.begin() as conn:
        current = line(conn, line_id)
        if current["worker_id"] != worker_id:
            raise NotFound(f"payroll line {line_id}")  # another worker's line does not exist
        b = batch(conn, as_int(current["batch_id"]))
        if b["state"] not in OPEN_FOR_CONFIRMATION:
            raise Conflict(f"the batch is {b['state']}; lines can no longer be confirmed")
        if not confirm and not (reason and reason.strip()):
            raise InvalidInput("a dispute needs a reason")
        answer = "confirmed" if confirm else "disputed"
        note = None if confirm else (reason or "").strip()[:500]
        conn.execute(
            schema.payroll_lines.update()
            .where(schema.payroll_lines.c.id == line_id)
            .values(confirmation=answer, confirmation_at=now_iso(), confirmation_note=note)
        )
        log(conn, as_int(b["id"]), answer, worker_id, note, line_id=line_id)
        updated = line(conn, line_id)
        if not confirm:
            flag_dispute(conn, updated, b)
        return updated


def wage_sheet_select(batch_id: int, line_id: int | None = None) -> Select[Any]:
    """The wage sheet's query (unordered): each line with the worker's name and answer (masked
    IDs), its employer, pay kind and rate, and the worked time split by kind with the money of
    each. The console's wage-sheet page pages and sorts this same SELECT."""
    p, w = schema.payroll_lines.c, schema.workers.c
    return (
        select(
            p.id,
            p.worker_id,
            w.name,
            w.id_number_masked,
            w.card_masked,
            p.employer_id,
            schema.enterprises.c.name.label("employer_name"),
            *pay_columns(),
            p.state,
            p.paid_fen,
            p.confirmation,
            p.confirmation_at,
            p.confirmation_note,
        )
        .join(schema.workers, w.id == p.worker_id)
        .outerjoin(schema.enterprises, schema.enterprises.c.id == p.employer_id)
        .where(p.batch_id == batch_id, *([p.id == line_id] if line_id is not None else []))
    )


def wage_sheet(
    conn: Connection, batch_id: int, line_id: int | None = None
) -> list[dict[str, object]]:
    """The monthly wage sheet: :func:`wage_sheet_select`'s lines, by worker."""
    query = wage_sheet_select(batch_id, line_id)
    rows = conn.execute(query.order_by(schema.payroll_lines.c.worker_id))
    return [dict(r._mapping) for r in rows]
