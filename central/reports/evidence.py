"""The evidence statement for one worker and a date range (HTML to print, .xlsx to work with).

What a worker brings to labour arbitration: every attendance day with the events it was
built from (event id, gate, time with offset, match score), every correction with its
reason, every wage line and every payment. Numbers are masked; all styling is inline (no
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
from central.payroll.worker_lines import worker_lines
from central.registry.workers import worker
from central.storage import schema
from central.wages.money import yuan


def gather(conn: Connection, worker_id: str, first: date, last: date) -> dict[str, object]:
    """Everything the statement shows, as plain data."""
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
    return {
        "worker": who,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "days": [{**day, "events": events.get(str(day["local_date"]), [])} for day in days],
        "corrections": corrections,
        "lines": lines,
        "generated_at": now_iso(),
    }


TEMPLATE = Path(__file__).with_name("evidence.html")

_env = Environment(
    loader=FileSystemLoader(TEMPLATE.parent),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_env.globals["yuan"] = yuan


def render_html(data: dict[str, object]) -> str:
    return _env.get_template(TEMPLATE.name).render(**data)


def render_xlsx(data: dict[str, object]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "days"
    sheet.append(["date", "project", "first_in", "last_out", "minutes", "status", "flags"])
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
    for d in data["days"]:  # type: ignore[attr-defined]
        sheet.append(
            [
                d["local_date"],
                d["project_id"],
                d["first_in"],
                d["last_out"],
                d["worked_minutes"],
                d["status"],
                d["flags"],
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
    for line in data["lines"]:  # type: ignore[attr-defined]
        wages.append(
            [
                line["month"],
                line["project_id"],
                line["half_days"] / 2,
                line["worked_minutes"],
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
    who = data["worker"]
    meta = book.create_sheet("statement")
    for row in (
        ("worker", who["id"]),
        ("name", who["name"]),  # type: ignore[index]
        ("id_number", who["id_number_masked"]),
        ("from", data["first"]),  # type: ignore[index]
        ("to", data["last"]),
        ("generated_at", data["generated_at"]),
    ):
        meta.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def parse_range(first: str, last: str) -> tuple[date, date]:
    try:
        return date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise InvalidInput("dates must look like 2025-06-01") from None
