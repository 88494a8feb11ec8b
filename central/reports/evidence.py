"""The evidence statement for one worker and a date range (HTML to print, .xlsx to work with).

What a worker brings to labour arbitration: every attendance day with the events it was
built from (event id, gate, time with offset, match score) and what the day paid (minutes
by kind, money, or why it was not paid), every correction with its reason, every wage line
with its overtime split, and every payment. Numbers are masked; all styling is inline (no
CDN, no external assets), so the file prints the same anywhere, offline.
"""

from collections import defaultdict
from datetime import date
from io import BytesIO
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Connection, select

from central.attendance.days import worker_days
from central.clock import now_iso
from central.errors import InvalidInput
from central.payroll.line_days import days_of_lines
from central.payroll.worker_lines import worker_lines
from central.registry.workers import worker
from central.spreadsheets import text_stays_text
from central.storage import schema
from central.wages.money import yuan


def gather(
    conn: Connection,
    worker_id: str,
    first: date,
    last: date,
    projects: set[str] | None = None,
) -> dict[str, object]:
    """Everything the statement shows, as plain data; ``projects``: only those projects' days,
    events, corrections and lines (what the asking employer may see), None for all."""
    if last < first or (last - first).days > 366:
        raise InvalidInput("the range must be 1 to 366 days, first before last")
    who = worker(conn, worker_id)
    a = schema.attendance.c
    days = worker_days(conn, worker_id, first, last)
    events: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in conn.execute(
        select(
            a.event_id,
            a.site,
            a.device,
            a.direction,
            a.method,
            a.distance,
            a.captured_at,
            a.local_date,
            a.received_at,
        )
        .where(
            a.worker_id == worker_id,
            a.local_date >= first.isoformat(),
            a.local_date <= last.isoformat(),
        )
        .order_by(a.captured_utc_us)
    ):
        events[r.local_date].append(dict(r._mapping))
    c = schema.attendance_corrections.c
    corrections = [
        dict(r._mapping)
        for r in conn.execute(
            select(schema.attendance_corrections)
            .where(
                c.worker_id == worker_id,
                c.local_date >= first.isoformat(),
                c.local_date <= last.isoformat(),
            )
            .order_by(c.id)
        )
    ]
    lines = worker_lines(conn, worker_id, months=(first.isoformat()[:7], last.isoformat()[:7]))
    if projects is not None:
        days = [d for d in days if d["project_id"] in projects]
        for date_events in events.values():
            date_events[:] = [ev for ev in date_events if ev["site"] in projects]
        corrections = [c for c in corrections if c["project_id"] in projects]
        lines = [line for line in lines if line["project_id"] in projects]
    pay = _day_pay(conn, lines)
    return {
        "worker": who,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "days": [
            {
                **day,
                "events": events.get(str(day["local_date"]), []),
                "pay": pay.get((str(day["project_id"]), str(day["local_date"]))),
            }
            for day in days
        ],
        "corrections": corrections,
        "lines": lines,
        "generated_at": now_iso(),
    }


def _day_pay(
    conn: Connection, lines: list[dict[str, object]]
) -> dict[tuple[str, str], dict[str, object]]:
    """(project, date) → what that attendance day paid on its wage line."""
    by_line = days_of_lines(conn, [int(x["id"]) for x in lines])  # type: ignore[call-overload]  # row values are typed object
    project_of = {int(x["id"]): str(x["project_id"]) for x in lines}  # type: ignore[call-overload]  # row values are typed object
    return {
        (project_of[line_id], str(d["local_date"])): d
        for line_id, line_days in by_line.items()
        for d in line_days
    }


TEMPLATE = Path(__file__).with_name("evidence.html")

_env = Environment(
    loader=FileSystemLoader(TEMPLATE.parent),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_env.globals["yuan"] = yuan


def render_html(data: dict[str, object]) -> str:
    return _env.get_template(TEMPLATE.name).render(**data)


def _pay_cells(pay: dict[str, object] | None) -> list[object]:
    if pay is None:
        return [None, None, None, None, None, None, "no wage line yet"]
    return [
        pay["day_kind"],
        pay["plain_minutes"],
        pay["extended_minutes"],
        pay["restday_minutes"],
        pay["holiday_minutes"],
        yuan(int(pay["money_fen"])),  # type: ignore[call-overload]  # row values are typed object
        pay["note"],
    ]


def render_xlsx(data: dict[str, object]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "days"
    sheet.append(
        [
            "date",
            "project",
            "first_in",
            "last_out",
            "minutes",
            "status",
            "flags",
            "day_kind",
            "plain_minutes",
            "extended_minutes_x1.5",
            "restday_minutes_x2",
            "holiday_minutes_x3",
            "pay_yuan",
            "pay_note",
        ]
    )
    events = book.create_sheet("events")
    events.append(
        [
            "date",
            "event_id",
            "direction",
            "captured_at",
            "site",
            "device",
            "method",
            "distance",
            "received_at",
        ]
    )
    for d in data["days"]:  # type: ignore[attr-defined]  # the gathered statement's values are typed object
        sheet.append(
            [
                d["local_date"],
                d["project_id"],
                d["first_in"],
                d["last_out"],
                d["worked_minutes"],
                d["status"],
                d["flags"],
                *_pay_cells(d["pay"]),
            ]
        )
        for e in d["events"]:
            events.append(
                [
                    d["local_date"],
                    e["event_id"],
                    e["direction"],
                    e["captured_at"],
                    e["site"],
                    e["device"],
                    e["method"],
                    e["distance"],
                    e["received_at"],
                ]
            )
    wages = book.create_sheet("wages")
    wages.append(
        [
            "month",
            "project",
            "days",
            "worked_minutes",
            "plain_minutes",
            "extended_minutes_x1.5",
            "restday_minutes_x2",
            "holiday_minutes_x3",
            "plain_yuan",
            "extended_yuan",
            "restday_yuan",
            "holiday_yuan",
            "additions_yuan",
            "gross_yuan",
            "deductions_yuan",
            "net_yuan",
            "state",
            "paid_yuan",
            "paid_at",
            "bank_ref",
            "confirmation",
        ]
    )
    for line in data["lines"]:  # type: ignore[attr-defined]  # the gathered statement's values are typed object
        wages.append(
            [
                line["month"],
                line["project_id"],
                line["attended_days"],
                line["worked_minutes"],
                line["plain_minutes"],
                line["ot_workday_minutes"],
                line["ot_restday_minutes"],
                line["ot_holiday_minutes"],
                yuan(line["plain_fen"]),
                yuan(line["extended_fen"]),
                yuan(line["restday_fen"]),
                yuan(line["holiday_fen"]),
                yuan(line["additions_fen"]),
                yuan(line["gross_fen"]),
                yuan(line["deductions_fen"]),
                yuan(line["net_fen"]),
                line["state"],
                yuan(line["paid_fen"]),
                line["paid_at"],
                line["bank_ref"],
                line["confirmation"],
            ]
        )
    who: dict[str, object] = data["worker"]  # type: ignore[assignment]  # the gathered statement's values are typed object
    meta = book.create_sheet("statement")
    for row in (
        ("worker", who["id"]),
        ("name", who["name"]),
        ("id_number", who["id_number_masked"]),
        ("from", data["first"]),
        ("to", data["last"]),
        ("generated_at", data["generated_at"]),
    ):
        meta.append(list(row))
    text_stays_text(book)  # a name like =HYPERLINK(…) is shown, never evaluated
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def parse_range(first: str, last: str) -> tuple[date, date]:
    try:
        return date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise InvalidInput("dates must look like 2025-06-01") from None
