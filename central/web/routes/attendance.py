"""考勤管理: per project and day who was on site, hours, flagged days and silent gates; the
workers of a day; a worker's month (ID and card masked).

Rows come from central/reports/attendance_pages.py, the functions
``/api/v1/attendance/project-days`` and ``/api/v1/attendance/worker-days`` call, over the
caller's projects; filters are handed to those functions, so a filter means on the page what
it means in the API. Each list has its page, ``.json`` twin and ``.xlsx`` export.
"""

from datetime import date, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import Connection
from starlette.responses import Response

from central.auth.users import Principal
from central.clock import zone
from central.errors import InvalidInput, NotFound
from central.reports.attendance_pages import (
    project_days_select,
    with_hours,
    with_silent_gates,
    worker_days_select,
    worker_header,
)
from central.web import tables
from central.web.i18n import N_
from central.web.routes.table_views import (
    FLAGGED_CHOICES,
    ListRows,
    day_filter,
    day_of,
    flagged_of,
    month_filter,
    month_of,
    show,
)
from central.web.routing import list_twins, scope, web_router
from central.web.sessions import Supervisor, database
from central.web.tables import Column, Filter, TableSpec

router = web_router()

DAY_STATUSES = (
    ("complete", N_("Complete")),
    ("missing_punch", N_("Missing punch")),
    ("corrected", N_("Corrected")),
)
_DAY_LINK = "/console/attendance/days?project={project_id}&date={local_date}"

PROJECT_DAYS = TableSpec(
    name="attendance",
    columns=(
        Column("local_date", N_("Date"), link=_DAY_LINK),
        Column("project_id", N_("Project ID")),
        Column("project", N_("Project name")),
        Column("workers", N_("On site"), kind="int", link=_DAY_LINK),
        Column("hours", N_("Hours worked"), kind="int"),
        Column("flagged", N_("Flagged days"), kind="int", link=_DAY_LINK + "&flagged=yes"),
        Column("silent_gates", N_("Silent gates (last heard)"), sortable=False),
    ),
    default_sort="local_date",
    default_desc=True,
    filters=(
        Filter("project", N_("Project ID")),
        month_filter(),
        day_filter(),
        Filter("flagged", N_("Flagged days"), choices=FLAGGED_CHOICES),
    ),
)

_WORKER_LINK = "/console/attendance/worker?project={project_id}&worker={worker_id}&month={month}"

WORKER_DAYS = TableSpec(
    name="attendance_days",
    columns=(
        Column("local_date", N_("Date")),
        Column("project_id", N_("Project ID")),
        Column("worker_id", N_("Worker ID"), link=_WORKER_LINK),
        Column("name", N_("Name"), link=_WORKER_LINK),
        Column("first_in", N_("First in")),
        Column("last_out", N_("Last out")),
        Column("hours", N_("Hours worked"), kind="int"),
        Column("flags", N_("Flags")),
        Column("status", N_("Status"), labels=DAY_STATUSES),
    ),
    default_sort="local_date",
    default_desc=True,
    filters=(
        Filter("project", N_("Project ID")),
        day_filter(),
        month_filter(),
        Filter("worker", N_("Worker ID")),
        Filter("flagged", N_("Flags"), choices=FLAGGED_CHOICES),
    ),
)

WORKER_MONTH = TableSpec(
    name="worker_month",
    columns=WORKER_DAYS.columns[:1] + WORKER_DAYS.columns[4:],
    default_sort="local_date",
    filters=(
        Filter("project", N_("Project ID")),
        Filter("worker", N_("Worker ID")),
        month_filter(),
    ),
)


def _now(request: Request) -> datetime:
    return datetime.now(zone(request.app.state.service.settings.timezone))


def _project_days(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(PROJECT_DAYS, dict(request.query_params))
    now = _now(request)

    def finish(conn: Connection, rows: list[dict[str, Any]]) -> None:
        with_hours(rows)
        with_silent_gates(conn, rows, now)

    with database(request).engine.connect() as conn:
        base = project_days_select(
            scope(conn, who),
            project_id=state.filters.get("project"),
            month=month_of(state),
            day=day_of(state),
            flagged=flagged_of(state),
        )
        return show(
            request,
            who,
            conn,
            spec=PROJECT_DAYS,
            state=state,
            base=base,
            fmt=fmt,
            title=N_("Attendance"),
            name="attendance",
            finish=finish,
        )


def _finish_hours(_conn: Connection, rows: list[dict[str, Any]]) -> None:
    with_hours(rows)


def _worker_days(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(WORKER_DAYS, dict(request.query_params))
    with database(request).engine.connect() as conn:
        base = worker_days_select(
            scope(conn, who),
            project_id=state.filters.get("project"),
            worker_id=state.filters.get("worker"),
            month=month_of(state),
            day=day_of(state),
            flagged=flagged_of(state),
        )
        return show(
            request,
            who,
            conn,
            spec=WORKER_DAYS,
            state=state,
            base=base,
            fmt=fmt,
            title=N_("Attendance days"),
            name="attendance/days",
            finish=_finish_hours,
        )


def _shift(month: str, by: int) -> str:
    first = date.fromisoformat(f"{month}-01")
    index = first.year * 12 + first.month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _worker_month(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(WORKER_MONTH, dict(request.query_params))
    project, worker, month = (
        state.filters.get("project"),
        state.filters.get("worker"),
        month_of(state),
    )
    if not (project and worker and month):
        raise InvalidInput("project, worker and month are all required")
    with database(request).engine.connect() as conn:
        projects = scope(conn, who)
        header = worker_header(conn, projects, project, worker, month)
        if header is None:  # out of scope or not employed there: the same answer
            raise NotFound(f"worker {worker} on project {project}")
        base = worker_days_select(projects, project_id=project, worker_id=worker, month=month)
        return show(
            request,
            who,
            conn,
            spec=WORKER_MONTH,
            state=state,
            base=base,
            fmt=fmt,
            title=N_("A worker's month"),
            name="attendance/worker",
            finish=_finish_hours,
            template="attendance_worker.html",
            person=header,
            previous_month=_shift(month, -1),
            next_month=_shift(month, 1),
        )


list_twins(router, "/attendance", _project_days, Supervisor, name="attendance", rows=ListRows)
list_twins(router, "/attendance/days", _worker_days, Supervisor, name="days", rows=ListRows)
list_twins(router, "/attendance/worker", _worker_month, Supervisor, name="worker", rows=ListRows)
