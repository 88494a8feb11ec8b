"""考勤 in the enterprise console: a project's month grid per team, a worker's day with its
corrections (and the form to correct it), and the queue of supplementary punches (补卡).

- The grid is :func:`central.reports.attendance_grid.month_grid`, the function behind
  ``GET /api/v1/projects/{id}/attendance-grid``, with the workers ``scope.project_worker_ids``
  lets the caller see; its ``.json`` twin is that model and its ``.xlsx`` the same rows.
- A correction goes through the same checks (``require_project`` with the site manager's
  role, ``require_worker_on_project``) and service (``days.correct_day``) as ``POST
  /api/v1/projects/{id}/attendance-days/{worker}/{day}/corrections``; the correction log
  (``attendance_corrections``: before, after, reason, who, when) is its audit trail.
- The queue is ``punch_requests.queue_select`` cut by ``scope.project_workers_filter`` like
  ``GET /api/v1/projects/{id}/punch-requests``; approving and refusing call the same service
  functions as the API's routes after the same scope check, and are audited there.
"""

import io
from dataclasses import replace
from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import Path, Request
from openpyxl import Workbook
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy import Connection, select
from starlette.responses import JSONResponse, RedirectResponse, Response

from central.attendance import days as attendance_days
from central.attendance import punch_requests as punches
from central.auth.scope import (
    project_worker_ids,
    project_workers_filter,
    require_project,
    require_worker_on_project,
)
from central.auth.users import Principal, Role
from central.errors import Conflict, InvalidInput, NotFound
from central.registry.organisations import project_zone
from central.reports.attendance_grid import MonthGrid, month_grid
from central.spreadsheets import xlsx_row
from central.storage import schema
from central.web import i18n, tables
from central.web.forms import FieldError, field_errors, refusal, submitted
from central.web.i18n import N_
from central.web.project_picker import Picked, pick
from central.web.routes.table_views import XLSX, ListRows, show
from central.web.routing import PREFIX, list_twins, today, web_router
from central.web.sessions import EnterpriseUser, database
from central.web.tables import Column, Filter, TableSpec
from central.web.templating import render

router = web_router()
BASE = PREFIX + "/enterprise/attendance"
DECIDERS = (Role.SITE_MANAGER, Role.CONTRACTOR_ADMIN)

FLAG_LABELS = {
    "missing_in": N_("No entry punch"),
    "missing_out": N_("No exit punch"),
    "corrected": N_("Corrected"),
}
REQUEST_STATES = (
    ("open", N_("Waiting")),
    ("approved", N_("Approved")),
    ("refused", N_("Refused")),
)
_R = schema.punch_requests.c
REQUESTS = TableSpec(
    name="punch_requests",
    columns=(
        Column("id", N_("Request"), kind="int"),
        Column("worker_id", N_("Worker ID")),
        Column("name", N_("Name")),
        Column("team", N_("Team"), sortable=False),
        Column("local_date", N_("Date")),
        Column("first_in", N_("Time in")),
        Column("last_out", N_("Time out")),
        Column("reason", N_("Worker's reason"), sortable=False),
        Column("state", N_("Status"), labels=REQUEST_STATES),
        Column("requested_at", N_("Asked at")),
        Column("decided_by", N_("Decided by")),
        Column("decision_note", N_("Reason for refusal"), sortable=False),
    ),
    default_sort="id",
    default_desc=True,
    # ``project`` is applied by the page (the picker's choice), kept in every link
    filters=(
        Filter("project", N_("Project ID")),
        Filter("state", N_("Status"), _R.state, choices=REQUEST_STATES),
    ),
)
LATER = N_("must be later than the time in")
CORRECTION_LABELS = {
    "first_in": N_("Time in"),
    "last_out": N_("Time out"),
    "break_minutes": N_("Break (minutes)"),
    "reason": N_("Reason"),
}


def _picked(conn: Connection, who: Principal, request: Request) -> Picked:
    return pick(conn, who, request.query_params.get("project") or None)


def _month(request: Request) -> str:
    month = request.query_params.get("month") or today(request).strftime("%Y-%m")
    if len(month) != 7 or month[4] != "-":
        raise InvalidInput("month must look like 2025-06")
    return month


# ---- the month grid -------------------------------------------------------------------


def _grid(request: Request, who: Principal, fmt: str) -> Response:
    month = _month(request)
    team = (request.query_params.get("team") or "").strip()[:100] or None
    with database(request).engine.connect() as conn:
        picked = _picked(conn, who, request)
        grid: MonthGrid | None = None
        if picked.id is not None:
            mine = project_worker_ids(conn, who, picked.id)
            grid = month_grid(conn, picked.id, month, mine, team)
            if team is not None and team not in grid.teams:
                raise InvalidInput(f"team {team!r} is not a team of this project")
    if fmt == "json":
        if grid is None:
            raise NotFound("project")
        return JSONResponse(grid.model_dump(mode="json"))
    if fmt == "xlsx":
        if grid is None:
            raise NotFound("project")
        return _grid_xlsx(request, grid)
    return render(
        request,
        "enterprise_attendance.html",
        who,
        title=N_("Attendance"),
        picked=picked,
        grid=grid,
        month=month,
        team=team or "",
        flag_labels=FLAG_LABELS,
        may_correct=who.role in (Role.SITE_MANAGER, Role.ADMIN),
    )


def _grid_xlsx(request: Request, grid: MonthGrid) -> Response:
    """The grid as a sheet: one row per worker, a column per day (hours, flags), totals."""
    t = i18n.translations(i18n.locale_of(request))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"attendance {grid.month}")
    headers = [t.gettext(N_("Worker ID")), t.gettext(N_("Name")), t.gettext(N_("Team"))]
    headers += [d.date[8:] for d in grid.days]
    headers += [
        t.gettext(N_("Attended days")),
        t.gettext(N_("Hours")),
        t.gettext(N_("Flagged days")),
    ]
    sheet.append(xlsx_row(sheet, headers))
    for row in grid.rows:
        cells: list[object] = [row.worker_id, row.name, row.team or ""]
        for d in grid.days:
            cell = row.cells.get(d.date)
            if cell is None:
                cells.append("")
            else:
                marks = " ".join(t.gettext(FLAG_LABELS.get(f, f)) for f in cell.flags)
                cells.append(f"{cell.hours:g} {marks}".strip())
        cells += [row.days, row.hours, row.flagged]
        sheet.append(xlsx_row(sheet, cells))
    out = io.BytesIO()
    book.save(out)
    filename = f"attendance-{grid.project_id}-{grid.month}.xlsx"
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


list_twins(
    router, "/enterprise/attendance", _grid, EnterpriseUser, name="ent_attendance", rows=MonthGrid
)


# ---- one worker's day: facts, its corrections and requests, the correction form ---------


class CorrectionForm(BaseModel):
    """The console's correction: times in and out (site time), a break, a reason."""

    first_in: time
    last_out: time
    break_minutes: Annotated[int, Field(ge=0, le=600)] = 0
    reason: Annotated[str, Field(min_length=3, max_length=500)]

    @field_validator("last_out")
    @classmethod
    def _after_entry(cls, value: time, info: ValidationInfo) -> time:
        entry = info.data.get("first_in")
        if entry is not None and value <= entry:
            raise ValueError(LATER)
        return value

    def worked_minutes(self) -> int:
        span = (self.last_out.hour * 60 + self.last_out.minute) - (
            self.first_in.hour * 60 + self.first_in.minute
        )
        return max(span - self.break_minutes, 0)


def _day_key(request: Request, form: dict[str, str] | None = None) -> tuple[str, str, date]:
    source = form if form is not None else request.query_params
    worker = str(source.get("worker", ""))[:64]
    try:
        day = date.fromisoformat(str(source.get("date", "")))
    except ValueError:
        raise InvalidInput("date must look like 2025-06-30") from None
    if not worker:
        raise NotFound("worker")
    return str(source.get("project", ""))[:64], worker, day


def _day_page(
    request: Request,
    who: Principal,
    project: str,
    worker_id: str,
    day: date,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    saved: bool = False,
) -> Response:
    with database(request).engine.connect() as conn:
        picked = pick(conn, who, project or None)
        if picked.id is None:
            raise NotFound("project")
        require_worker_on_project(conn, who, picked.id, worker_id)
        stored = attendance_days.day_row(conn, picked.id, worker_id, day)
        name = conn.execute(
            select(schema.workers.c.name).where(schema.workers.c.id == worker_id)
        ).scalar_one()
        c = schema.attendance_corrections.c
        corrections = [
            dict(r._mapping)
            for r in conn.execute(
                select(schema.attendance_corrections)
                .where(
                    c.project_id == picked.id,
                    c.worker_id == worker_id,
                    c.local_date == day.isoformat(),
                )
                .order_by(c.id)
            )
        ]
        requests = [
            r
            for r in punches.of_worker(conn, worker_id, day.strftime("%Y-%m"))
            if r["project_id"] == picked.id and r["local_date"] == day.isoformat()
        ]
    shown = values
    if shown is None:
        shown = {"break_minutes": "0"}
        if stored:
            for key in ("first_in", "last_out"):
                moment = stored.get(key)
                if moment:
                    shown[key] = datetime.fromisoformat(str(moment)).strftime("%H:%M")
    return render(
        request,
        "enterprise_attendance_day.html",
        who,
        status_code=422 if errors else 200,
        title=N_("A worker's day"),
        picked=picked,
        worker_id=worker_id,
        name=name,
        day=day.isoformat(),
        stored=stored,
        corrections=corrections,
        requests=requests,
        values=shown,
        errors=errors or {},
        saved=saved,
        flag_labels=FLAG_LABELS,
        states=dict(REQUEST_STATES),
        may_correct=who.role in (Role.SITE_MANAGER, Role.ADMIN),
    )


@router.get("/enterprise/attendance/day")
def day_page(request: Request, who: EnterpriseUser, saved: str = "") -> Response:
    project, worker_id, day = _day_key(request)
    return _day_page(request, who, project, worker_id, day, saved=saved == "1")


@router.post("/enterprise/attendance/day")
async def correct_day(request: Request, who: EnterpriseUser) -> Response:
    values = await submitted(request, ("project", "worker", "date", *CORRECTION_LABELS))
    project, worker_id, day = _day_key(request, values)
    db = database(request)
    with db.engine.connect() as conn:
        require_project(conn, who, project, Role.SITE_MANAGER)
        require_worker_on_project(conn, who, project, worker_id)
        zone = project_zone(conn, project)
    try:
        data = CorrectionForm.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        errors = {
            k: replace(e, translate=True) if e.reason == LATER else e
            for k, e in field_errors(exc, CORRECTION_LABELS).items()
        }
        return _day_page(request, who, project, worker_id, day, values=values, errors=errors)
    if day > today(request):
        label = CORRECTION_LABELS["first_in"]
        errors = {"first_in": FieldError("first_in", label, N_("the day is in the future"))}
        return _day_page(request, who, project, worker_id, day, values=values, errors=errors)
    attendance_days.correct_day(
        db,
        project,
        zone,
        worker_id,
        day,
        worked_minutes=data.worked_minutes(),
        first_in=datetime.combine(day, data.first_in, zone),
        last_out=datetime.combine(day, data.last_out, zone),
        reason=data.reason,
        by_user=who.username,
    )
    query = f"project={project}&worker={worker_id}&date={day.isoformat()}&saved=1"
    return RedirectResponse(f"{BASE}/day?{query}", status_code=303)


# ---- the queue of supplementary punches (补卡) ---------------------------------------------


def _queue(
    request: Request,
    who: Principal,
    fmt: str,
    *,
    params: dict[str, str] | None = None,
    refused: tuple[int, str, dict[str, FieldError]] | None = None,
) -> Response:
    query = dict(request.query_params) if params is None else params
    state = tables.state_from(REQUESTS, query)
    with database(request).engine.connect() as conn:
        picked = pick(conn, who, query.get("project") or None)
        if picked.id is None:
            raise NotFound("project")
        require_project(conn, who, picked.id, *DECIDERS)
        reach = project_workers_filter(conn, who, picked.id, _R.worker_id)
        waiting = punches.of_project(conn, picked.id, reach, punches.OPEN)
        return show(
            request,
            who,
            conn,
            spec=REQUESTS,
            state=state,
            base=punches.queue_select(picked.id, reach),
            fmt=fmt,
            title=N_("Supplementary punches"),
            name="enterprise/attendance/requests",
            template="enterprise_punch_requests.html",
            picked=picked,
            waiting=waiting,
            refused=refused,
            notice=query.get("done", "")[:16],
        )


list_twins(
    router,
    "/enterprise/attendance/requests",
    _queue,
    EnterpriseUser,
    name="ent_punch_requests",
    rows=ListRows,
)


def _decided(project: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"{BASE}/requests?project={project}&done={what}", status_code=303)


def _request_in_scope(conn: Connection, who: Principal, project: str, request_id: int) -> None:
    """As the API's check: 404 unless the project's and its worker in reach; 403 by role."""
    require_project(conn, who, project)
    try:
        found = punches.get(conn, request_id)
        if found["project_id"] != project:
            raise NotFound("punch request")
        require_worker_on_project(conn, who, project, str(found["worker_id"]))
    except NotFound:
        raise NotFound(f"punch request {request_id}") from None
    require_project(conn, who, project, *DECIDERS)


RequestId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/enterprise/attendance/requests/{request_id}/approve")
async def approve_request(request: Request, who: EnterpriseUser, request_id: RequestId) -> Response:
    values = await submitted(request, ("project",))
    project = values["project"][:64]
    db = database(request)
    with db.engine.connect() as conn:
        _request_in_scope(conn, who, project, request_id)
    try:
        punches.approve(db, project, request_id, who.actor)
    except Conflict as exc:
        return _queue_refused(request, who, project, request_id, exc)
    return _decided(project, "approved")


@router.post("/enterprise/attendance/requests/{request_id}/refuse")
async def refuse_request(request: Request, who: EnterpriseUser, request_id: RequestId) -> Response:
    values = await submitted(request, ("project", "reason"))
    project = values["project"][:64]
    db = database(request)
    with db.engine.connect() as conn:
        _request_in_scope(conn, who, project, request_id)
    try:
        punches.refuse(db, project, request_id, who.actor, values["reason"])
    except punches.FieldInvalid:
        errors = {"reason": FieldError("reason", N_("Reason for refusal"), N_("is required"))}
        return _queue_with(request, who, project, (request_id, values["reason"], errors), 422)
    except Conflict as exc:
        return _queue_refused(request, who, project, request_id, exc)
    return _decided(project, "refused")


def _queue_refused(
    request: Request, who: Principal, project: str, request_id: int, exc: Conflict
) -> Response:
    errors = refusal("decision", N_("Decision"), exc)  # in the reader's language
    return _queue_with(request, who, project, (request_id, "", errors), 409)


def _queue_with(
    request: Request,
    who: Principal,
    project: str,
    refused: tuple[int, str, dict[str, Any]],
    status: int,
) -> Response:
    response = _queue(request, who, "html", params={"project": project}, refused=refused)
    response.status_code = status
    return response
