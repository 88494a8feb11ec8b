"""存量欠薪案件: the arrears-case register, behind the overview's arrears figures, and its
forms: an inspector opens a case (on a project, or from a warning), updates it, resolves it
with a written resolution, reopens it; every change is a history row and an audit row.

The list's rows come from central/registry/arrears.py ``cases_select``, the SELECT that
``GET /api/v1/arrears-cases`` reads too, cut to the supervisor's projects: page, JSON twin
and xlsx export hold the same rows. The forms call the same service functions as
``POST``/``PATCH /api/v1/arrears-cases`` and ``POST /api/v1/warnings/{id}/arrears-case``
after the same scope checks (central/auth/scope.py): a case or warning out of sight is 404.
A refused form shows each wrong field with the reason and keeps what was typed.
"""

from datetime import datetime, tzinfo
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import ColumnElement, Connection, select
from starlette.responses import RedirectResponse, Response

from central.auth.scope import require_warning, visible_projects
from central.auth.users import Principal
from central.clock import zone
from central.errors import Conflict, InvalidInput, NotFound
from central.registry import arrears
from central.registry.arrears import cases_select
from central.registry.divisions import in_city
from central.storage import schema
from central.warnings import cases as warning_cases
from central.web import project_picker, tables
from central.web.forms import REASONS, FieldError, field_errors, submitted
from central.web.i18n import N_
from central.web.refusals import refusal_text
from central.web.routes.enterprise_jobs import yuan_to_fen
from central.web.routes.lists import TableRows, division_names
from central.web.routes.table_views import show
from central.web.routes.warnings import _detail_page, _warning_id
from central.web.routing import PREFIX, list_twins, scope, web_router
from central.web.sessions import Supervisor, database
from central.web.tables import Column, Filter, TableSpec
from central.web.templating import render

router = web_router()

CASE_STATES = (("open", N_("Open")), ("resolved", N_("Resolved")))
CASE_SOURCES = (
    ("complaint", N_("Complaint")),
    ("warning", N_("Warning")),
    ("inspector", N_("Inspector")),
)


def _city(value: str) -> ColumnElement[bool]:
    """Cases on projects in the city ``value``: its code (450100) or its name (南宁市)."""
    p = schema.projects.c
    return schema.arrears_cases.c.project_id.in_(
        select(p.id).where(in_city(p.division_code, value))
    )


ARREARS = TableSpec(
    name="arrears",
    columns=(
        Column("id", N_("No."), kind="int", link=PREFIX + "/arrears/{id}"),
        Column("opened_at", N_("Opened at")),
        Column("project_id", N_("Project ID"), link="/console/workers?project={project_id}"),
        Column("project_name", N_("Project name")),
        Column("city_name", N_("City")),
        Column("city", N_("City code")),
        Column("source", N_("Source"), labels=CASE_SOURCES),
        Column("amount_fen", N_("Amount owed (yuan)"), kind="fen"),
        Column("workers", N_("Workers owed"), kind="int"),
        Column("status", N_("State"), labels=CASE_STATES),
        Column("summary", N_("Summary"), sortable=False),
        Column("resolution", N_("Resolution"), sortable=False),
    ),
    default_sort="id",
    default_desc=True,
    filters=(
        Filter("status", N_("State"), schema.arrears_cases.c.status, choices=CASE_STATES),
        Filter("project", N_("Project ID"), schema.arrears_cases.c.project_id),
        Filter("city", N_("City (name or code)"), clause=_city),
    ),
)


def _finish(request: Request, conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Times (stored in UTC) in the deployment's zone, cities by name in the reader's language."""
    tz = zone(request.app.state.service.settings.timezone)
    for r in rows:
        for key in ("opened_at", "updated_at"):
            if isinstance(r.get(key), str):
                r[key] = _local(r[key], tz)
    division_names(request, ("city_name", "city"))(conn, rows)


def _show(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(ARREARS, dict(request.query_params))
    with database(request).engine.connect() as conn:
        return show(
            request,
            who,
            conn,
            spec=ARREARS,
            state=state,
            base=cases_select(scope(conn, who)),
            fmt=fmt,
            title=N_("Arrears cases"),
            name="arrears",
            rows_model=TableRows,
            finish=lambda conn, rows: _finish(request, conn, rows),
            template="arrears_list.html",
        )


list_twins(router, "/arrears", _show, Supervisor, name="arrears", rows=TableRows)


#: The forms' fields → their labels (msgids), for the error messages.
LABELS = {
    "project_id": N_("Project"),
    "amount_yuan": N_("Amount owed (yuan)"),
    "workers": N_("Workers owed"),
    "summary": N_("Description"),
    "status": N_("State"),
    "resolution": N_("Resolution"),
    "note": N_("Note"),
}
AMOUNT = N_("must be an amount in yuan such as 12000.50")
ACTIONS = (
    ("opened", N_("Opened")),
    ("updated", N_("Updated")),
    ("noted", N_("Note")),
    ("resolved", N_("Resolved")),
    ("reopened", N_("Reopened")),
)


def _money(values: dict[str, str], data: dict[str, Any]) -> None:
    """The form's yuan as the service's fen (text that is no amount goes on, and is refused
    by the model as ``amount_fen``, shown against ``amount_yuan``)."""
    if values.get("amount_yuan"):
        data["amount_fen"] = yuan_to_fen(values["amount_yuan"])


def _errors(exc: ValidationError) -> dict[str, FieldError]:
    errors = field_errors(exc, {**LABELS, "amount_fen": LABELS["amount_yuan"]})
    if "amount_fen" in errors:  # the form's field is in yuan
        e = errors.pop("amount_fen")
        reason = AMOUNT if e.reason == REASONS["int_parsing"] else e.reason
        errors["amount_yuan"] = FieldError("amount_yuan", LABELS["amount_yuan"], reason)
    return errors


def _new_form(
    request: Request,
    who: Principal,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
) -> Response:
    return render(
        request,
        "arrears_new.html",
        who,
        status_code=422 if errors else 200,
        values=values or {},
        errors=errors or {},
        projects=project_picker.form_choices(request, who),
    )


@router.get("/arrears/new")
def new_case(request: Request, who: Supervisor, project: str = "") -> Response:
    """The form to open a case; ``?project=`` preselects a project."""
    return _new_form(request, who, {"project_id": project[:64]})


@router.post("/arrears/new")
async def create_case(request: Request, who: Supervisor) -> Response:
    values = await submitted(request, ("project_id", "amount_yuan", "workers", "summary"), 1000)
    data: dict[str, Any] = {k: v for k, v in values.items() if v and k != "amount_yuan"}
    _money(values, data)
    try:
        body = arrears.CaseIn.model_validate({**data, "source": "inspector"})
    except ValidationError as exc:
        return _new_form(request, who, values, _errors(exc))
    with database(request).begin() as conn:
        projects = visible_projects(conn, who)
        if (projects is not None and body.project_id not in projects) or conn.execute(
            select(schema.projects.c.id).where(schema.projects.c.id == body.project_id)
        ).first() is None:
            # out of sight and unknown read the same: no project of that id for this reader
            return _new_form(
                request,
                who,
                values,
                {"project_id": FieldError("project_id", LABELS["project_id"], N_("is unknown"))},
            )
        opened = arrears.open_case(conn, who.actor, body)
    return RedirectResponse(f"{PREFIX}/arrears/{opened.id}?saved=opened", status_code=303)


def _local(stamp: str, tz: tzinfo) -> str:
    """A stored UTC time in the deployment's zone, with its offset."""
    return datetime.fromisoformat(stamp).astimezone(tz).isoformat(timespec="seconds")


def _case_id(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 2**31 - 1:
        raise NotFound(f"arrears case {raw[:20]}")
    return int(raw)


def _case_page(
    request: Request,
    who: Principal,
    case_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    saved: str = "",
) -> Response:
    with database(request).engine.connect() as conn:
        found = arrears.case(conn, case_id, scope(conn, who))  # 404 out of sight
        events = arrears.history(conn, case_id)
        p = schema.projects.c
        project = conn.execute(select(p.name).where(p.id == found.project_id)).scalar()
    tz = zone(request.app.state.service.settings.timezone)
    times = {"opened_at": _local(found.opened_at, tz), "updated_at": _local(found.updated_at, tz)}
    found = found.model_copy(update=times)
    events = [e.model_copy(update={"at": _local(e.at, tz)}) for e in events]
    shown = values or {
        "amount_yuan": f"{found.amount_fen // 100}.{found.amount_fen % 100:02d}",
        "workers": str(found.workers),
        "status": found.status,
        "resolution": found.resolution or "",
    }
    return render(
        request,
        "arrears_case.html",
        who,
        status_code=422 if errors else 200,
        case=found,
        project_name=project,
        history=events,
        action_labels=dict(ACTIONS),
        sources=dict(CASE_SOURCES),
        states=CASE_STATES,
        values=shown,
        errors=errors or {},
        saved=saved if saved.isalpha() else "",
    )


@router.get("/arrears/{case_id}")
def case_page(request: Request, who: Supervisor, case_id: str, saved: str = "") -> Response:
    return _case_page(request, who, _case_id(case_id), saved=saved[:20])


@router.post("/arrears/{case_id}")
async def update_case(request: Request, who: Supervisor, case_id: str) -> Response:
    """Change amount, workers or state, record the resolution or a note (one history row)."""
    number = _case_id(case_id)
    values = await submitted(
        request, ("amount_yuan", "workers", "status", "resolution", "note"), 1000
    )
    data: dict[str, Any] = {k: v for k, v in values.items() if v and k != "amount_yuan"}
    _money(values, data)
    if data.get("status") == "open":
        data.pop("resolution", None)  # the form still shows the old one: reopening clears it
    try:
        change = arrears.CaseUpdate.model_validate(data)
    except ValidationError as exc:
        with database(request).engine.connect() as conn:
            arrears.case(conn, number, scope(conn, who))  # 404 before any detail of the form
        return _case_page(request, who, number, values=values, errors=_errors(exc))
    try:
        with database(request).begin() as conn:
            arrears.update_case(conn, who.actor, number, change, scope(conn, who))
    except InvalidInput as exc:
        if "resolution" in str(exc):
            error = FieldError("resolution", LABELS["resolution"], N_("is needed to resolve"))
        else:
            error = FieldError(
                "note", LABELS["note"], N_("nothing changed: change a field or note")
            )
        return _case_page(request, who, number, values=values, errors={error.field: error})
    return RedirectResponse(f"{PREFIX}/arrears/{number}?saved=updated", status_code=303)


@router.post("/warnings/{warning_id}/arrears-case")
async def case_from_warning(request: Request, who: Supervisor, warning_id: str) -> Response:
    """Open a case from a warning (its project), linked both ways; back to the new case."""
    number = _warning_id(warning_id)
    values = await submitted(request, ("amount_yuan", "workers", "summary"), 1000)
    data: dict[str, Any] = {k: v for k, v in values.items() if v and k != "amount_yuan"}
    _money(values, data)
    with database(request).engine.connect() as conn:
        require_warning(conn, who, number)  # 404 out of sight, before anything else
    try:
        body = warning_cases.FromWarning.model_validate(data)
    except ValidationError as exc:
        return _detail_page(
            request, who, number, status=422, case_values=values, case_errors=_errors(exc)
        )
    try:
        with database(request).begin() as conn:
            opened = warning_cases.open_from_warning(conn, who.actor, number, body)
    except (Conflict, InvalidInput) as exc:
        error = refusal_text(request, exc)  # in the reader's language
        return _detail_page(request, who, number, error=error, status=409, case_values=values)
    return RedirectResponse(f"{PREFIX}/arrears/{opened.id}?saved=opened", status_code=303)
