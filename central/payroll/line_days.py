"""A wage line's per-day breakdown and the wage sheet as a workbook.

The breakdown is stored when the line is computed (``payroll_line_days``), so what the API,
the workbook and the evidence report show is exactly what was paid: each attendance day
with its date, kind, in and out, minutes by kind and money, and the days that were not paid
with the reason. The days' money adds up to the line's attendance money.
"""

from io import BytesIO

from sqlalchemy import Connection, select

from central.spreadsheets import text_stays_text
from central.storage import schema
from central.wages.money import yuan

DAY_COLUMNS = (
    "local_date",
    "day_kind",
    "first_in",
    "last_out",
    "plain_minutes",
    "extended_minutes",
    "restday_minutes",
    "holiday_minutes",
    "compensated_minutes",
    "money_fen",
    "flags",
    "note",
)


def days_of_lines(conn: Connection, line_ids: list[int]) -> dict[int, list[dict[str, object]]]:
    """Each line's days, by date."""
    d = schema.payroll_line_days.c
    out: dict[int, list[dict[str, object]]] = {i: [] for i in line_ids}
    for start in range(0, len(line_ids), 500):
        rows = conn.execute(
            select(d.line_id, *(getattr(d, c) for c in DAY_COLUMNS))
            .where(d.line_id.in_(line_ids[start : start + 500]))
            .order_by(d.line_id, d.local_date)
        )
        for r in rows:
            row = dict(r._mapping)
            out[int(row.pop("line_id"))].append(row)
    return out


def line_adjustments(
    conn: Connection, project_id: str, worker_id: str, month: str
) -> list[dict[str, object]]:
    """The additions (piece rate) and deductions behind a line, each with its reason."""
    a = schema.wage_adjustments.c
    rows = conn.execute(
        select(a.id, a.kind, a.amount_fen, a.reason, a.by_user, a.at)
        .where(
            a.project_id == project_id,
            a.worker_id == worker_id,
            a.month == month,
            a.reversed_at.is_(None),
        )
        .order_by(a.id)
    )
    return [dict(r._mapping) for r in rows]


LINE_HEADER = (
    "line_id",
    "worker_id",
    "name",
    "employer",
    "pay_kind",
    "rate_yuan",
    "attended_days",
    "plain_minutes",
    "plain_yuan",
    "extended_minutes_x1.5",
    "extended_yuan",
    "restday_minutes_x2",
    "restday_yuan",
    "holiday_minutes_x3",
    "holiday_yuan",
    "compensated_minutes",
    "worked_minutes",
    "additions_yuan",
    "gross_yuan",
    "deductions_yuan",
    "net_yuan",
    "state",
    "confirmation",
)


def _money(v: object) -> str:
    return yuan(int(v)) if v is not None else ""  # type: ignore[call-overload]  # row values are typed object


def wage_sheet_xlsx(
    batch: dict[str, object],
    lines: list[dict[str, object]],
    days: dict[int, list[dict[str, object]]],
) -> bytes:
    """Sheet "lines" (one row per line) and sheet "days" (every line's per-day breakdown)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "lines"
    sheet.append(LINE_HEADER)
    for line in lines:
        sheet.append(
            [
                line["id"],
                line["worker_id"],
                line["name"],
                line.get("employer_name") or line["employer_id"],
                line["pay_kind"],
                _money(line["rate_fen"]),
                line["attended_days"],
                line["plain_minutes"],
                _money(line["plain_fen"]),
                line["ot_workday_minutes"],
                _money(line["extended_fen"]),
                line["ot_restday_minutes"],
                _money(line["restday_fen"]),
                line["ot_holiday_minutes"],
                _money(line["holiday_fen"]),
                line["compensated_minutes"],
                line["worked_minutes"],
                _money(line["additions_fen"]),
                _money(line["gross_fen"]),
                _money(line["deductions_fen"]),
                _money(line["net_fen"]),
                line["state"],
                line["confirmation"],
            ]
        )
    day_sheet = book.create_sheet("days")
    day_sheet.append(["line_id", "worker_id", *DAY_COLUMNS[:-3], "money_yuan", "flags", "note"])
    for line in lines:
        for d in days.get(int(line["id"]), []):  # type: ignore[call-overload]  # row values are typed object
            day_sheet.append(
                [
                    line["id"],
                    line["worker_id"],
                    *(d[c] for c in DAY_COLUMNS[:-3]),
                    _money(d["money_fen"]),
                    d["flags"],
                    d["note"],
                ]
            )
    meta = book.create_sheet("batch")
    for key in ("id", "project_id", "month", "state", "due_date", "gross_fen", "net_fen"):
        meta.append([key, batch.get(key)])
    text_stays_text(book)  # a name or note typed as =… is shown, never evaluated
    out = BytesIO()
    book.save(out)
    return out.getvalue()
