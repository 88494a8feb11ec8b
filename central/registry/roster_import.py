"""A project's roster from an .xlsx workbook: read as text, checked row by row, all or nothing.

Site offices keep rosters in Excel or WPS. The workbook is hostile until proven otherwise, so
it is refused cleanly, before any row is read, when it is not a zip, is larger than
``MAX_BYTES``, or unpacks to more than ``MAX_UNPACKED`` (a zip bomb); openpyxl parses its XML
through defusedxml (no entity expansion). Rows are read from the first sheet only, at most
``MAX_ROWS`` of them and only the template's columns. A formula cell is refused (a roster is
typed data; a formula's cached value is whatever the last program to save it said).

ID and card numbers must be text cells: as a number a spreadsheet keeps 15 significant
digits, so an 18-digit ID loses its last three and an ID ending in X is not a number at all.
The template marks those columns as text (``@``) so typing into it keeps them.

Every problem is reported as (row, field, reason) with nothing written; a clean file is
written in one transaction through :func:`central.registry.roster.place` (a person already
registered is linked by ID number, 一人一档).
"""

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from pydantic import ValidationError
from sqlalchemy import Connection

from central.errors import N_, InvalidInput, InvalidValue, TooLarge
from central.registry import validation
from central.registry.roster import (
    Entry,
    Hire,
    Placed,
    Refused,
    fen_of_yuan,
    new_worker_id,
    place,
)
from central.registry.sealing import Sealer
from central.registry.workers import WorkerIn
from central.spreadsheets import xlsx_row
from central.storage import Database
from central.wages.rules import PayKind, PayTerms

MAX_BYTES = 1024 * 1024  # the request limit of every body but photos (central/api/limits.py)
MAX_UNPACKED = 20 * 1024 * 1024
MAX_MEMBERS = 200
MAX_ROWS = 2000


@dataclass(frozen=True, slots=True)
class RosterField:
    key: str
    en: str  # the template's column header in English
    zh: str  # … and in Chinese (either language's header row is accepted)
    required: bool = False
    text_only: bool = False  # a number cell loses digits: refused


#: The template's columns, in order.
FIELDS: tuple[RosterField, ...] = (
    RosterField("name", "Name", "姓名", required=True),
    RosterField("id_number", "Resident ID number", "身份证号", required=True, text_only=True),
    RosterField("phone", "Phone", "手机号"),
    RosterField("card_number", "Payroll card number", "工资卡号", text_only=True),
    RosterField("bank", "Bank", "开户银行"),
    RosterField("team", "Team", "班组"),
    RosterField("trade", "Trade", "工种"),
    RosterField("pay_kind", "Pay kind (daily/hourly)", "计薪方式（按日/按小时）", required=True),
    RosterField("rate", "Rate (yuan)", "工价（元）", required=True),
    RosterField("start_date", "Start date", "进场日期", required=True),
    RosterField("worker_id", "Worker ID (optional)", "工号（可不填）"),
)
PAY_KINDS = {
    "daily": PayKind.DAILY,
    "按日": PayKind.DAILY,
    "日": PayKind.DAILY,
    "hourly": PayKind.HOURLY,
    "按小时": PayKind.HOURLY,
    "小时": PayKind.HOURLY,
}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the spreadsheet's row number (1 is the header), the field's key, a reason
    code (a form translates it) and an English detail."""

    row: int
    field: str
    reason: str
    detail: str


@dataclass(slots=True)
class Report:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    placed: list[Placed] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return not self.errors and bool(self.placed)

    def count(self, how: str) -> int:
        return sum(1 for p in self.placed if p.how == how)


def template(english: bool) -> bytes:
    """The empty roster workbook: the header row, and the ID, card and phone columns typed as
    text so that what is typed into them stays text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "roster"
    sheet.append(xlsx_row(sheet, [f.en if english else f.zh for f in FIELDS]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, f in enumerate(FIELDS, start=1):
        letter = sheet.cell(row=1, column=n).column_letter
        sheet.column_dimensions[letter].width = 22
        if f.text_only or f.key in ("phone", "worker_id"):
            for row in range(2, 502):
                sheet.cell(row=row, column=n).number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _check_container(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise TooLarge.of(N_("the workbook is larger than %(limit)s bytes"), limit=MAX_BYTES)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InvalidInput.of(N_("file: not an .xlsx workbook (save it as Excel .xlsx)"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InvalidInput.of(N_("file: not an .xlsx workbook (the zip is damaged)")) from None
    if len(members) > MAX_MEMBERS:
        raise InvalidInput.of(
            N_("file: more than %(parts)s parts: not a plain roster"), parts=MAX_MEMBERS
        )
    if sum(m.file_size for m in members) > MAX_UNPACKED:
        raise TooLarge.of(N_("file: unpacks to more than %(limit)s bytes"), limit=MAX_UNPACKED)


def _cells(data: bytes) -> list[tuple[int, list[Any]]]:
    """The first sheet's rows as (row number, cells), formulas marked; refuses huge sheets."""
    _check_container(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise InvalidInput.of(N_("file: not a readable .xlsx workbook")) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise InvalidInput.of(N_("file: the workbook has no sheet"))
        rows: list[tuple[int, list[Any]]] = []
        try:
            for n, row in enumerate(sheet.iter_rows(max_col=len(FIELDS)), start=1):
                values = [_Formula() if c.data_type == "f" else c.value for c in row]
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                if len(rows) > MAX_ROWS:
                    raise TooLarge.of(
                        N_("file: more than %(rows)s rows: split the roster"), rows=MAX_ROWS
                    )
                rows.append((n, values + [None] * (len(FIELDS) - len(values))))
        except (InvalidInput, TooLarge):
            raise
        except Exception:
            raise InvalidInput.of(N_("file: the sheet cannot be read")) from None
        return rows
    finally:
        book.close()


class _Formula:
    """A formula cell's place in a row (its text is never used)."""


def _is_header(values: list[Any]) -> bool:
    texts = [str(v).strip().lower() if v is not None else "" for v in values]
    return any(
        texts[: len(FIELDS)] == [getattr(f, lang).lower() for f in FIELDS] for lang in ("en", "zh")
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidValue(N_("a date like 2025-06-01 expected")) from None


T = TypeVar("T")


@dataclass(slots=True)
class _Row:
    number: int
    values: dict[str, Any]
    errors: list[RowError]

    def fail(self, key: str, reason: str, detail: str) -> None:
        if not any(e.field == key for e in self.errors):
            self.errors.append(RowError(self.number, key, reason, detail))

    def parsed(self, key: str, reason: str, parse: Callable[[Any], T]) -> T | None:
        """The cell ``key`` through ``parse``; None when empty or refused (``reason``)."""
        if key not in self.values:
            return None
        try:
            return parse(self.values[key])
        except ValueError as exc:
            self.fail(key, reason, str(exc))
            return None


def _read_row(number: int, cells: list[Any]) -> _Row:
    row = _Row(number, {}, [])
    for f, value in zip(FIELDS, cells, strict=False):
        if isinstance(value, _Formula):
            row.fail(f.key, "formula", "formula cells are not accepted: type the value")
            continue
        if f.text_only and isinstance(value, int | float):
            row.fail(f.key, "number_cell", "must be a text cell: as a number it loses digits")
            continue
        text = _text(value) if not isinstance(value, date | datetime) else value
        if text is None:
            if f.required:
                row.fail(f.key, "missing", "required")
            continue
        row.values[f.key] = text
    return row


#: A valid resident ID number that is never written: it stands in for a refused one while the
#: other fields are checked, so one pass reports every field's problem.
STAND_IN_ID = "11010519491231002X"


def _check_row(row: _Row, project_id: str, employer_id: int, worker_id: str) -> Entry | None:
    v = row.values
    if "id_number" in v:
        problem = validation.resident_id_problem(str(v["id_number"]))
        if problem:
            row.fail("id_number", problem, f"resident ID number: {problem.replace('_', ' ')}")
    if "card_number" in v:
        problem = validation.card_problem(str(v["card_number"]))
        if problem:
            row.fail("card_number", f"card_{problem}", f"payroll card number: {problem}")
    kind = PAY_KINDS.get(str(v.get("pay_kind", "")).strip().lower())
    if "pay_kind" in v and kind is None:
        row.fail("pay_kind", "pay_kind", "daily or hourly (按日 or 按小时) expected")
    rate = row.parsed("rate", "rate", fen_of_yuan)
    start = row.parsed("start_date", "date", _date)
    person = hire = None
    bad = {e.field for e in row.errors}
    try:
        # a number already refused above is swapped for a checked one here, so that the
        # other fields' problems are reported in the same pass
        person = WorkerIn(
            id=str(v.get("worker_id") or worker_id),
            name=str(v.get("name", "")),
            id_number=STAND_IN_ID if "id_number" in bad else str(v.get("id_number", "")),
            phone=v.get("phone"),
            card_number=None if "card_number" in bad else v.get("card_number"),
            bank=v.get("bank"),
        )
    except ValidationError as exc:
        _pydantic(row, exc)
    if kind is not None and rate is not None and start is not None:
        try:
            hire = Hire(
                project_id=project_id,
                employer_id=employer_id,
                team=v.get("team"),
                trade=v.get("trade"),
                start_date=start,
                terms=PayTerms(pay_kind=kind, rate_fen=rate),
            )
        except ValidationError as exc:
            _pydantic(row, exc, rename={"terms": "rate", "id": "worker_id"})
    if row.errors or person is None or hire is None:
        return None
    return Entry(hire=hire, person=person)


def _pydantic(row: _Row, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    names = {"id": "worker_id", **(rename or {})}
    for err in exc.errors():
        key = str(err["loc"][0]) if err["loc"] else "row"
        key = names.get(key, key)
        row.fail(key, "invalid", str(err["msg"]).removeprefix("Value error, "))


def read(
    conn: Connection, data: bytes, project_id: str, employer_id: int
) -> tuple[list[tuple[int, Entry]], Report]:
    """Check a workbook's rows; the entries to place (with their row numbers) when clean."""
    rows = _cells(data)
    if not rows or not _is_header(rows[0][1]):
        raise InvalidInput("file: the first row is not the roster template's header row")
    rows = rows[1:]
    report = Report(rows=len(rows))
    if not rows:
        report.errors.append(RowError(1, "row", "empty", "the roster has no rows"))
        return [], report
    entries: list[tuple[int, Entry]] = []
    seen_ids: dict[str, int] = {}
    seen_workers: dict[str, int] = {}
    for number, cells in rows:
        row = _read_row(number, cells)
        entry = _check_row(row, project_id, employer_id, new_worker_id(conn))
        if entry is not None:
            first = seen_ids.setdefault(entry.person.id_number, number)
            if first != number:
                row.fail("id_number", "repeated", f"the same ID number as row {first}")
            given = row.values.get("worker_id")
            if given is not None:
                first = seen_workers.setdefault(str(given), number)
                if first != number:
                    row.fail("worker_id", "repeated", f"the same worker ID as row {first}")
        report.errors.extend(row.errors)
        if entry is not None and not row.errors:
            entries.append((number, entry))
    return entries, report


def import_roster(
    db: Database, sealer: Sealer, data: bytes, project_id: str, employer_id: int
) -> Report:
    """Check every row, then place them all in one transaction, or none.

    The caller has checked that it may employ for ``employer_id`` on ``project_id``
    (``scope.require_employer_on``). A person already registered (by anyone) is linked by ID
    number; one this employer already employs on the project is a row error.
    """
    with db.engine.connect() as conn:
        entries, report = read(conn, data, project_id, employer_id)
    if report.errors:
        return report
    try:
        report.placed = place(db, sealer, [e for _n, e in entries], link_known=True)
    except Refused as exc:
        key = "worker_id" if exc.reason == "worker_id" else "id_number"
        report.errors.append(RowError(entries[exc.index][0], key, exc.reason, str(exc)))
    return report
