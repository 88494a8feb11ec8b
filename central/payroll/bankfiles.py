"""The bank disbursement file (CSV or .xlsx) and the bank's result file.

The disbursement file carries whole ID and card numbers: the bank pays a card, and checks it
belongs to the named person. It is written 0600 and never served over the API; every other
view shows masked numbers. Amounts are in fen and in yuan text (``"1234.56"``), both computed
from integers.

Result file (CSV, UTF-8, header row): ``line_id,card_number,amount_fen,status,bank_ref,message``
with ``status`` ``paid`` or ``failed``. Banks' own layouts differ; a site converts theirs to
this one (docs/wages.md). Each row is checked against the line it names (same batch, same
card); a paid amount below the line's net is recorded as it is and becomes a warning.
"""

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from central.clock import now_iso
from central.errors import Conflict, InvalidInput
from central.payroll.batches import PAYABLE, batch, log, settle_state, submit
from central.registry.sealing import Sealer
from central.registry.workers import CARD_CONTEXT, reveal
from central.storage import Database, schema
from central.wages.money import yuan

COLUMNS = ("line_id", "name", "id_number", "card_number", "bank", "amount_fen", "amount_yuan")
RESULT_COLUMNS = ("line_id", "card_number", "amount_fen", "status", "bank_ref", "message")
Progress = Callable[[int], None]


def _open_private(path: Path, binary: bool = False):  # type: ignore[no-untyped-def]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "wb" if binary else "w", newline=None if binary else "")


def export(
    db: Database,
    sealer: Sealer,
    batch_id: int,
    path: Path,
    by_user: str,
    progress: Progress | None = None,
) -> int:
    """Write the lines due for payment; an approved batch becomes submitted. Returns the count."""
    fmt = path.suffix.lower()
    if fmt not in (".csv", ".xlsx"):
        raise InvalidInput("the bank file must end in .csv or .xlsx")
    with db.engine.connect() as conn:
        state = batch(conn, batch_id)["state"]
    if state == "approved":
        submit(db, batch_id, by_user)
    elif state not in PAYABLE:
        raise Conflict(f"batch {batch_id} is {state}: approve it before exporting")
    p = schema.payroll_lines.c
    with db.engine.connect() as conn:
        due = conn.execute(
            select(p.id, p.worker_id, p.net_fen)
            .where(p.batch_id == batch_id, p.state == "pending", p.net_fen > 0)
            .order_by(p.id)
        ).all()
        people = reveal(conn, sealer, [r.worker_id for r in due])
    rows = []
    for r in due:
        who = people[r.worker_id]
        rows.append(
            (
                r.id,
                who["name"],
                who["id_number"],
                who["card_number"],
                who["bank"],
                r.net_fen,
                yuan(r.net_fen),
            )
        )
    if fmt == ".csv":
        with _open_private(path) as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows(_counted(rows, progress))
    else:
        _write_xlsx(path, rows, progress)
    with db.begin() as conn:
        log(conn, batch_id, "exported", by_user, f"{len(rows)} line(s) to {path.name}")
    return len(rows)


def _counted(
    rows: list[tuple[object, ...]], progress: Progress | None
) -> Iterator[tuple[object, ...]]:
    """Yield the rows, telling ``progress`` every thousand (a bar for large batches)."""
    for n, row in enumerate(rows, 1):
        yield row
        if progress and n % 1000 == 0:
            progress(1000)
    if progress:
        progress(len(rows) % 1000)


def _write_xlsx(path: Path, rows: list[tuple[object, ...]], progress: Progress | None) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streams rows: a 100,000-line batch stays small in memory
    sheet = book.create_sheet("disbursement")
    sheet.append(COLUMNS)
    for row in _counted(rows, progress):
        # ID and card numbers as text: Excel would turn 18 digits into 4.5E+17.
        sheet.append([str(v) if i in (2, 3) else v for i, v in enumerate(row)])
    with _open_private(path, binary=True) as fh:
        book.save(fh)


@dataclass
class ImportResult:
    paid: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    batch_state: str = ""


def import_results(
    db: Database, sealer: Sealer, batch_id: int, path: Path, by_user: str
) -> ImportResult:
    """Mark lines paid or failed from the bank's result file; bad rows are reported, not applied."""
    result = ImportResult()
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = set(RESULT_COLUMNS[:4]) - set(reader.fieldnames or ())
        if missing:
            raise InvalidInput(f"{path.name}: missing column(s) {', '.join(sorted(missing))}")
        entries = list(reader)
    p, w = schema.payroll_lines, schema.workers
    with db.begin() as conn:
        b = batch(conn, batch_id)
        if b["state"] not in ("submitted", "partially_paid"):
            raise Conflict(f"batch {batch_id} is {b['state']}: nothing was sent to the bank")
        for n, entry in enumerate(entries, start=2):
            where = f"{path.name} line {n}"
            try:
                line_id, amount = int(entry["line_id"]), int(entry["amount_fen"])
            except (TypeError, ValueError):
                result.errors.append(f"{where}: line_id and amount_fen must be integers")
                continue
            status = (entry.get("status") or "").strip().lower()
            row = conn.execute(
                select(p.c.state, p.c.net_fen, p.c.worker_id, w.c.card_hash)
                .join(w, w.c.id == p.c.worker_id)
                .where(p.c.id == line_id, p.c.batch_id == batch_id)
            ).first()
            card = "".join((entry.get("card_number") or "").split())
            if row is None:
                result.errors.append(f"{where}: line {line_id} is not in batch {batch_id}")
            elif sealer.lookup_hash(card, CARD_CONTEXT) != row.card_hash:
                result.errors.append(f"{where}: card does not match line {line_id}'s worker")
            elif row.state != "pending":
                result.errors.append(
                    f"{where}: line {line_id} is {row.state}, not awaiting payment"
                )
            elif status not in ("paid", "failed"):
                result.errors.append(f"{where}: status must be paid or failed")
            else:
                paid = status == "paid"
                conn.execute(
                    p.update()
                    .where(p.c.id == line_id)
                    .values(
                        state=status,
                        paid_fen=amount if paid else 0,
                        bank_ref=(entry.get("bank_ref") or "")[:100] or None,
                        bank_message=(entry.get("message") or "")[:200] or None,
                        paid_at=now_iso() if paid else None,
                    )
                )
                log(
                    conn, batch_id, f"bank_{status}", by_user, entry.get("message"), line_id=line_id
                )
                if paid:
                    result.paid += 1
                else:
                    result.failed += 1
                    # The card could not take the money: not a valid payroll card until
                    # the worker gives a new one (registry.workers.set_card).
                    conn.execute(w.update().where(w.c.id == row.worker_id).values(card_valid=0))
        result.batch_state = settle_state(conn, batch_id)
        log(
            conn,
            batch_id,
            "bank_result_imported",
            by_user,
            f"{result.paid} paid, {result.failed} failed, {len(result.errors)} refused row(s)",
        )
    return result
