"""The worker's My days page: a month calendar of attended days with hours and flags, and
supplementary-punch requests (补卡) for days the gate missed, with their status.

The days come from ``central.attendance.days.worker_days`` (as ``GET
/api/v1/me/attendance-days``); the requests from ``central.attendance.punch_requests``
(``of_worker`` and ``request``, as ``GET``/``POST /api/v1/me/punch-requests``), so the page
and the API cannot disagree. A refused request names its field and keeps what was typed.
"""

import re
from datetime import date, time, timedelta
from typing import Annotated, Any

from fastapi import Form, Query, Request
from starlette.responses import RedirectResponse, Response

from central.attendance.days import worker_days
from central.attendance.periods import month_of, month_range
from central.attendance.punch_requests import FieldInvalid, PunchRequestIn, of_worker, request
from central.attendance.today import current_projects
from central.auth.users import Principal
from central.errors import Conflict, NotFound
from central.validation import Month
from central.web.i18n import N_
from central.web.routing import WORKER_PREFIX, today, web_router
from central.web.sessions import WorkerUser, database
from central.web.worker_layout import render_worker

router = web_router(WORKER_PREFIX)

FLAGS = {
    "missing_in": N_("no check-in"),
    "missing_out": N_("no check-out"),
    "corrected": N_("corrected"),
}
#: The same flags in a calendar cell (a few characters wide on a phone).
SHORT_FLAGS = {
    "missing_in": N_("no in"),
    "missing_out": N_("no out"),
    "corrected": N_("fixed"),
}
STATES = {
    "open": (N_("waiting for the site manager"), "warn"),
    "approved": (N_("approved"), "ok"),
    "refused": (N_("refused"), "bad"),
}
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
FIELD_LABELS = {
    "project_id": N_("Site"),
    "day": N_("Day"),
    "first_in": N_("Came at"),
    "last_out": N_("Left at"),
    "reason": N_("Why the gate missed it"),
}
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def hours(minutes: int) -> str:
    """Worked minutes as hours with one decimal: ``510`` → ``8.5``."""
    return f"{minutes / 60:.1f}".removesuffix(".0")


def month_grid(
    month: str, days: list[dict[str, Any]], today: date
) -> list[list[dict[str, Any] | None]]:
    """The month as weeks (Monday first) of cells: the date, the hours and flags of every
    project that day, or None outside the month. Today's missing check-out is no flag yet:
    the worker is still on site."""
    first, last = month_range(month)
    by_date: dict[str, list[dict[str, Any]]] = {}
    for d in days:
        by_date.setdefault(str(d["local_date"]), []).append(d)
    weeks: list[list[dict[str, Any] | None]] = []
    week: list[dict[str, Any] | None] = [None] * first.weekday()
    day = first
    while day <= last:
        rows = by_date.get(day.isoformat(), [])
        minutes = sum(int(r["worked_minutes"]) for r in rows)
        flags = sorted({f for r in rows for f in str(r["flags"]).split(",") if f})
        if day == today:
            flags = [f for f in flags if f != "missing_out"]
        week.append(
            {
                "date": day,
                "hours": hours(minutes) if minutes else None,
                "worked": minutes > 0,
                "flags": flags,
            }
        )
        if len(week) == 7:
            weeks.append(week)
            week = []
        day += timedelta(days=1)
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return weeks


def _page(
    request_: Request,
    who: Principal,
    month: str,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    filed: bool = False,
) -> Response:
    assert who.worker_id is not None
    first, last = month_range(month)
    now = today(request_)
    with database(request_).engine.connect() as conn:
        days = worker_days(conn, who.worker_id, first, last)
        requests = of_worker(conn, who.worker_id, month)
        projects = current_projects(conn, who.worker_id, now)
    total = sum(int(str(d["worked_minutes"])) for d in days)
    attended = len({d["local_date"] for d in days if int(str(d["worked_minutes"])) > 0})
    previous = month_of(first - timedelta(days=1))
    following = month_of(last + timedelta(days=1))
    return render_worker(
        request_,
        "worker_days.html",
        who,
        status_code=status_code,
        month=month,
        weeks=month_grid(month, days, now),
        short_flags=SHORT_FLAGS,
        weekdays=WEEKDAYS,
        flags=FLAGS,
        days=days,
        attended=attended,
        total_hours=hours(total),
        previous=previous,
        following=following if following <= month_of(now) else None,
        requests=requests,
        states=STATES,
        projects=projects,
        values={"project_id": str(projects[0]["id"]) if projects else "", **(values or {})},
        errors=errors or {},
        labels=FIELD_LABELS,
        filed=filed,
        today=now,
    )


@router.get("/days")
def days_page(
    request: Request,
    who: WorkerUser,
    month: Annotated[Month | None, Query()] = None,
    day: Annotated[date | None, Query()] = None,
    filed: Annotated[bool, Query()] = False,
) -> Response:
    """The month's calendar (default: this month); ``day`` fills the request form's day."""
    chosen = month or month_of(day or today(request))
    values = {"day": day.isoformat()} if day is not None else None
    return _page(request, who, chosen, values=values, filed=filed)


def _refusal(exc: FieldInvalid) -> dict[str, str]:
    """The service's refusal (central/attendance/punch_requests.py) against its field, in
    plain words the page translates."""
    text = str(exc)
    if exc.field == "day":
        if "future" in text:
            return {"day": N_("This day has not come yet.")}
        return {"day": N_("You were not employed on this site that day.")}
    if exc.field == "last_out":
        if "future" in text:
            return {"last_out": N_("This time has not come yet.")}
        return {"last_out": N_("The time you left must be later than the time you came.")}
    if exc.field == "reason":
        return {"reason": N_("Say in a few words why the gate missed the day.")}
    return {"day": N_("This request is not accepted: check the values.")}


def _parse_time(text: str) -> time | None:
    m = _HHMM.match(text.strip())
    return time(int(m[1]), int(m[2])) if m else None


@router.post("/days/punch-requests")
def file_request(
    request_: Request,
    who: WorkerUser,
    project_id: Annotated[str, Form(max_length=64)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
    first_in: Annotated[str, Form(max_length=5)] = "",
    last_out: Annotated[str, Form(max_length=5)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """File a 补卡 request; it goes to the site manager's queue (H3c's service)."""
    assert who.worker_id is not None
    values = {
        "project_id": project_id,
        "day": day,
        "first_in": first_in,
        "last_out": last_out,
        "reason": reason,
    }
    errors: dict[str, str] = {}
    try:
        parsed_day = date.fromisoformat(day)
    except ValueError:
        parsed_day = None
        errors["day"] = N_("Choose the day, like 2026-11-03.")
    came, left = _parse_time(first_in), _parse_time(last_out)
    if came is None:
        errors["first_in"] = N_("Give the time like 07:30.")
    if left is None:
        errors["last_out"] = N_("Give the time like 17:30.")
    if len(reason.strip()) < 3:
        errors["reason"] = N_("Say in a few words why the gate missed the day.")
    if not project_id:
        errors["project_id"] = N_("Choose the site.")
    month = month_of(parsed_day) if parsed_day else month_of(today(request_))
    if not errors:
        assert parsed_day is not None and came is not None and left is not None
        body = PunchRequestIn(project_id, parsed_day, came, left, reason.strip())
        try:
            request(database(request_), who.worker_id, body, who.actor)
        except FieldInvalid as exc:
            errors.update(_refusal(exc))
        except NotFound:
            errors["project_id"] = N_("You are not registered on this site.")
        except Conflict as exc:
            errors["day"] = (
                N_("A request for this day is already waiting for the site manager.")
                if "still open" in str(exc)
                else N_("The wages of this month are closed: ask your site manager.")
            )
        else:
            return RedirectResponse(
                f"{WORKER_PREFIX}/days?month={month}&filed=true#requests", status_code=303
            )
    return _page(request_, who, month, status_code=422, values=values, errors=errors)
