"""The bank disbursement file (CSV or .xlsx) and the bank's result file.

The disbursement file carries whole ID and card numbers: the bank pays a card, and checks it
belongs to the named person. It is written 0600 and never served over the API; every other
view shows masked numbers. Amounts are in fen and in yuan text (``"1234.56"``), both computed
from integers.

Both files follow a :class:`~central.payroll.bank_layouts.BankLayout`: the columns, headers
and encoding a bank wants, and how to read its result file (CSV or .xlsx) in the same terms;
the ``sitegate`` preset is the default. Each result row is checked against the line it names
(same batch, same card; a layout without a line id column finds the line by its card); a
paid amount below the line's net is recorded as it is and becomes a warning. The card is
read when the file is written, so a failed line retried after a card replacement pays the
new card.
"""

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import MultipleResultsFound, NoResultFound

from central.clock import now_iso
from central.errors import N_, Conflict, InvalidInput
from central.payroll import paid_summaries
from central.payroll.bank_layouts import SITEGATE, BankLayout, parse_amount
from central.payroll.batches import PAYABLE, batch, log, settle_state, submit
from central.registry import staff_spans
from central.registry.sealing import Sealer
from central.registry.workers import CARD_CONTEXT, payee
from central.spreadsheets import csv_row, xlsx_row
from central.storage import Database, schema
from central.validation import DB_INT_MAX, MAX_AMOUNT_FEN
from central.wages.money import yuan

COLUMNS = tuple(c.header for c in SITEGATE.columns)
TEXT_FIELDS = ("line_id", "name", "id_number", "card_number", "bank", "purpose")
Progress = Callable[[int], None]


def _open_private(path: Path, binary: bool = False, encoding: str = "utf-8-sig") -> IO[Any]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", newline="", encoding=encoding)


def export(
    db: Database,
    sealer: Sealer,
    batch_id: int,
    path: Path,
    by_user: str,
    progress: Progress | None = None,
    layout: BankLayout = SITEGATE,
) -> int:
    """Write the lines due for payment; an approved batch becomes submitted. Returns the count."""
    fmt = path.suffix.lower()
    if fmt not in (".csv", ".xlsx"):
        raise InvalidInput.of(N_("the bank file must end in .csv or .xlsx"))
    with db.engine.connect() as conn:
        state = batch(conn, batch_id)["state"]
    if state == "approved":
        submit(db, batch_id, by_user)
    elif state not in PAYABLE:
        raise Conflict.of(
            N_("batch %(batch)s is %(state)s: approve it before exporting"),
            batch=batch_id,
            state=state,
        )
    p, w = schema.payroll_lines.c, schema.workers.c
    with db.engine.connect() as conn:
        # One query for the lines due and their payees; in worker order, as the lines are
        # numbered within a batch (central/payroll/batches.py writes them in that order).
        due = sorted(
            conn.execute(
                select(
                    p.id, p.worker_id, p.net_fen, w.name, w.id_number_sealed, w.card_sealed, w.bank
                )
                .join(schema.workers, w.id == p.worker_id)
                .where(p.batch_id == batch_id, p.state == "pending", p.net_fen > 0)
            ).all(),
            key=lambda r: r.worker_id,
        )
    rows = []
    for r in due:
        values: dict[str, object] = {
            "line_id": str(r.id),
            **payee(sealer, r),
            "amount_fen": r.net_fen,
            "amount_yuan": yuan(r.net_fen),
            "purpose": layout.purpose,
        }
        rows.append(tuple(values[c.field] for c in layout.columns))
    headers = [c.header for c in layout.columns]
    if fmt == ".csv":
        with _open_private(path, encoding=layout.encoding) as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            writer.writerows(csv_row(row) for row in _counted(rows, progress))
    else:
        _write_xlsx(path, headers, rows, progress)
    with db.begin() as conn:
        log(conn, batch_id, "exported", by_user, params={"lines": len(rows), "file": path.name})
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


def _write_xlsx(
    path: Path, headers: list[str], rows: list[tuple[object, ...]], progress: Progress | None
) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streams rows: a 100,000-line batch stays small in memory
    sheet = book.create_sheet("disbursement")
    sheet.append(xlsx_row(sheet, headers))
    for row in _counted(rows, progress):
        # ID and card numbers are text (str) cells: Excel would turn 18 digits into 4.5E+17.
        sheet.append(xlsx_row(sheet, list(row)))
    with _open_private(path, binary=True) as fh:
        book.save(fh)


@dataclass
class ImportResult:
    paid: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    batch_state: str = ""


def _read_entries(path: Path, layout: BankLayout) -> list[dict[str, str]]:
    """The result file's rows as header → text, from CSV (in the layout's encoding) or .xlsx."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
            raise InvalidInput.of(
                N_("%(file)s: not a readable .xlsx file (%(problem)s)"),
                file=path.name,
                problem=exc,
            ) from None
        rows = [
            ["" if v is None else str(v).strip() for v in row]
            for row in book.active.iter_rows(values_only=True)
        ]
        book.close()
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        return [dict(zip(header, row, strict=False)) for row in body if any(row)]
    try:
        with path.open(newline="", encoding=layout.encoding) as fh:
            reader = csv.DictReader(fh)
            entries = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except UnicodeDecodeError:
        raise InvalidInput.of(
            N_("%(file)s: not %(encoding)s text (layout %(layout)s)"),
            file=path.name,
            encoding=layout.encoding,
            layout=layout.name,
        ) from None
    return entries


def import_results(
    db: Database,
    sealer: Sealer,
    batch_id: int,
    path: Path,
    by_user: str,
    layout: BankLayout = SITEGATE,
) -> ImportResult:
    """Mark lines paid or failed from the bank's result file; bad rows are reported, not applied."""
    result = ImportResult()
    spec = layout.result
    entries = _read_entries(path, layout)
    needed = [h for h in (spec.line_id, spec.card_number, spec.amount, spec.status) if h]
    found = set(entries[0]) if entries else set(needed)
    missing = [h for h in needed if h not in found]
    if missing:
        raise InvalidInput.of(
            N_("%(file)s: missing column(s) %(columns)s"),
            file=path.name,
            columns=", ".join(missing),
        )
    paid_values = {v.casefold() for v in spec.paid_values}
    failed_values = {v.casefold() for v in spec.failed_values}
    p, w = schema.payroll_lines, schema.workers
    with db.begin() as conn:
        b = batch(conn, batch_id)
        if b["state"] not in ("submitted", "partially_paid"):
            raise Conflict.of(
                N_("batch %(batch)s is %(state)s: nothing was sent to the bank"),
                batch=batch_id,
                state=b["state"],
            )
        invalid_cards: set[str] = set()
        for n, entry in enumerate(entries, start=2):
            where = f"{path.name} line {n}"
            card = "".join(entry.get(spec.card_number, "").split())
            card_hash = sealer.lookup_hash(card, CARD_CONTEXT)
            try:
                amount = parse_amount(entry.get(spec.amount, ""), spec.amount_unit)
                if spec.line_id:
                    line_id = int(entry.get(spec.line_id, ""))
                else:
                    line_id = conn.execute(
                        select(p.c.id)
                        .join(w, w.c.id == p.c.worker_id)
                        .where(p.c.batch_id == batch_id, w.c.card_hash == card_hash)
                    ).scalar_one()
                if not (0 <= amount <= MAX_AMOUNT_FEN and 0 < line_id <= DB_INT_MAX):
                    raise ValueError("out of range")  # would overflow the database's integers
            except (TypeError, ValueError):
                result.errors.append(
                    f"{where}: the line id must be an integer and the amount in {spec.amount_unit}"
                )
                continue
            except (NoResultFound, MultipleResultsFound):
                result.errors.append(f"{where}: no single line of batch {batch_id} has this card")
                continue
            raw_status = entry.get(spec.status, "").casefold()
            status = "paid" if raw_status in paid_values else "failed"
            if raw_status not in paid_values | failed_values:
                status = ""
            message = entry.get(spec.message, "") if spec.message else ""
            bank_ref = entry.get(spec.bank_ref, "") if spec.bank_ref else ""
            row = conn.execute(
                select(p.c.state, p.c.net_fen, p.c.worker_id, w.c.card_hash)
                .join(w, w.c.id == p.c.worker_id)
                .where(p.c.id == line_id, p.c.batch_id == batch_id)
            ).first()
            if row is None:
                result.errors.append(f"{where}: line {line_id} is not in batch {batch_id}")
            elif card_hash != row.card_hash:
                result.errors.append(f"{where}: card does not match line {line_id}'s worker")
            elif row.state != "pending":
                result.errors.append(
                    f"{where}: line {line_id} is {row.state}, not awaiting payment"
                )
            elif not status:
                allowed = ", ".join([*spec.paid_values, *spec.failed_values])
                result.errors.append(f"{where}: status must be one of {allowed}")
            else:
                paid = status == "paid"
                paid_at = now_iso()
                conn.execute(
                    p.update()
                    .where(p.c.id == line_id)
                    .values(
                        state=status,
                        paid_fen=amount if paid else 0,
                        bank_ref=bank_ref[:100] or None,
                        bank_message=message[:200] or None,
                        paid_at=paid_at if paid else None,
                    )
                )
                if paid and amount > 0:
                    paid_summaries.record_payment(
                        conn, str(b["project_id"]), row.worker_id, paid_at, amount
                    )
                log(conn, batch_id, f"bank_{status}", by_user, message or None, line_id=line_id)
                if paid:
                    result.paid += 1
                else:
                    result.failed += 1
                    # The card could not take the money: not a valid payroll card until
                    # the worker gives a new one (registry.worker_records.replace_card).
                    conn.execute(w.update().where(w.c.id == row.worker_id).values(card_valid=0))
                    invalid_cards.add(row.worker_id)
        # their spans show the card's state: recomputed once for the file, not once a row
        staff_spans.refresh(conn, invalid_cards)
        result.batch_state = settle_state(conn, batch_id)
        counts = {"paid": result.paid, "failed": result.failed, "refused": len(result.errors)}
        log(conn, batch_id, "bank_result_imported", by_user, params=counts)
    return result
