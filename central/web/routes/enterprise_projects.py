"""Project set-up (项目设置) in the enterprise console: projects, subcontractors, wage account.

The common pattern of the enterprise console's pages:

- a route on :func:`web_router` under ``/console/enterprise/``, opened by ``EnterpriseUser``
  (contractor admins, site managers, the admin);
- what the caller sees is the API's scope (``central/auth/scope.py``): lists are cut by
  ``visible_projects`` and a project in a path or in ``?project=`` outside it answers 404
  (``central/web/project_picker.py``);
- every change goes through the same scope check and service function as its ``/api/v1``
  route (``may_register_on`` + ``organisations.register_on_project`` as ``POST
  /api/v1/projects/{id}/enterprises``; ``arrears.set_wage_account`` as ``PUT
  …/wage-account``; ``organisations.create_project`` as ``POST /api/v1/projects``), and a form
  the service refuses is shown again with each field's reason and what was typed (422).
"""

from datetime import datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, select
from starlette.responses import RedirectResponse, Response

from central.auth.deps import get_sealer
from central.auth.scope import (
    may_register_on,
    own_enterprise,
    require_project,
    require_role,
)
from central.auth.users import Principal, Role
from central.errors import Conflict, Forbidden, InvalidInput, NotFound
from central.registry import arrears, divisions, organisations
from central.registry.validation import credit_code
from central.reports.enterprise_projects import EnterpriseProject, projects_select
from central.storage import schema
from central.web import tables
from central.web.forms import FieldError, field_errors, submitted
from central.web.i18n import N_
from central.web.project_picker import pick
from central.web.routes.lists import PROJECT_STATUSES, division_names
from central.web.routes.table_views import show
from central.web.routing import PREFIX, list_twins, scope, web_router
from central.web.sessions import EnterpriseUser, database
from central.web.tables import Column, Filter, TableSpec
from central.web.templating import render

router = web_router()
BASE = PREFIX + "/enterprise"

MY_ROLES = (
    ("general_contractor", N_("General contractor")),
    ("subcontractor", N_("Subcontractor")),
    ("labour_subcontractor", N_("Labour subcontractor")),
    ("employer", N_("Employer on the project")),
)
SUB_ROLES = MY_ROLES[1:3]

PROJECTS = TableSpec(
    name="enterprise_projects",
    columns=(
        Column("id", N_("Project ID"), link=BASE + "/projects/{id}"),
        Column("name", N_("Project name"), link=BASE + "/projects/{id}"),
        Column("division_name", N_("Division")),
        Column("division_code", N_("Division code")),
        Column("status", N_("Status"), labels=PROJECT_STATUSES),
        Column("contractor", N_("General contractor")),
        Column("my_role", N_("My role"), labels=MY_ROLES),
        Column("gates", N_("Gates"), kind="int"),
    ),
    default_sort="name",
    filters=(
        Filter("q", N_("Name contains"), schema.projects.c.name, match="contains"),
        Filter("status", N_("Status"), schema.projects.c.status, choices=PROJECT_STATUSES),
    ),
)

PROJECT_LABELS = {
    "id": N_("Project ID"),
    "name": N_("Project name"),
    "division_code": N_("Division code"),
    "timezone": N_("Time zone"),
    "pay_due_day": N_("Pay day (of the following month)"),
    "status": N_("Status"),
}
ACCOUNT_LABELS = {
    "bank": N_("Bank"),
    "account_number": N_("Account number"),
    "opened_on": N_("Opened on"),
}
SUB_LABELS = {"uscc": N_("Unified social credit code"), "role": N_("Role on the project")}


class ProjectRows(BaseModel):
    """The list's JSON twin: the same rows as ``GET /api/v1/enterprise/projects``."""

    rows: list[EnterpriseProject]
    total: int


def _list(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(PROJECTS, dict(request.query_params))
    with database(request).engine.connect() as conn:
        return show(
            request,
            who,
            conn,
            spec=PROJECTS,
            state=state,
            base=projects_select(own_enterprise(who), scope(conn, who)),
            fmt=fmt,
            title=N_("Project set-up"),
            name="enterprise/projects",
            template="enterprise_projects.html",
            rows_model=ProjectRows,
            may_create=who.role is Role.CONTRACTOR_ADMIN,
            finish=division_names(request, ("division_name", "division_code")),
        )


# ---- creating a project (a contractor admin, for its own enterprise) ----------------------


def _create_form(
    request: Request,
    who: Principal,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
) -> Response:
    require_role(who, Role.CONTRACTOR_ADMIN)
    if who.role is Role.ADMIN:  # the admin registers projects of any enterprise by the API
        raise Forbidden("the admin creates projects through the API")
    shown = values or {"timezone": "Asia/Shanghai", "pay_due_day": "15"}
    return render(
        request,
        "enterprise_project_new.html",
        who,
        status_code=422 if errors else 200,
        values=shown,
        errors=errors or {},
        statuses=PROJECT_STATUSES,
    )


@router.get("/enterprise/projects/new")
def new_project(request: Request, who: EnterpriseUser) -> Response:
    return _create_form(request, who)


@router.post("/enterprise/projects")
async def create_project(request: Request, who: EnterpriseUser) -> Response:
    values = await submitted(request, tuple(PROJECT_LABELS))
    require_role(who, Role.CONTRACTOR_ADMIN)
    if who.role is Role.ADMIN or who.enterprise_id is None:
        raise Forbidden("the admin creates projects through the API")
    try:
        data = organisations.ProjectIn.model_validate(
            {**{k: v for k, v in values.items() if v}, "contractor_id": who.enterprise_id}
        )
    except ValidationError as exc:
        return _create_form(request, who, values, field_errors(exc, PROJECT_LABELS))
    try:
        organisations.create_project(database(request), data)
    except Conflict:
        taken = {"id": FieldError("id", PROJECT_LABELS["id"], N_("is taken by another project"))}
        return _create_form(request, who, values, taken)
    return RedirectResponse(f"{BASE}/projects/{data.id}", status_code=303)


# ---- one project: facts, status, subcontractors, special wage account -------------------


def _facts(conn: Connection, who: Principal, project_id: str) -> dict[str, Any]:
    """The project row and the caller's reach on it (404 outside the caller's scope)."""
    require_project(conn, who, project_id)
    found = organisations.project(conn, project_id)
    contractor = organisations.enterprise(conn, int(str(found["contractor_id"])))
    return {**found, "contractor": contractor["name"]}


def _account(conn: Connection, project_id: str) -> arrears.WageAccount | None:
    try:
        return arrears.wage_account(conn, project_id)
    except NotFound:
        return None


def _detail(
    request: Request,
    who: Principal,
    project_id: str,
    *,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    saved: str = "",
) -> Response:
    with database(request).engine.connect() as conn:
        project = _facts(conn, who, project_id)
        project["division_name"] = divisions.names(conn, [project["division_code"]]).get(
            project["division_code"]
        )
        division_names(request, ("division_name", "division_code"))(conn, [project])
        picked = pick(conn, who, project_id)
        reach_whole = picked.whole
        enterprises = organisations.project_enterprises(conn, project_id)
        zone = organisations.project_zone(conn, project_id)
        account = _account(conn, project_id) if reach_whole else None
        gates = organisations.project_gates(conn, project_id)
    for e in enterprises:  # stored in UTC (or the site's zone): shown in the site's zone
        stamp = e["registered_at"]
        if isinstance(stamp, str):
            e["registered_at"] = datetime.fromisoformat(stamp).astimezone(zone).isoformat()
    general = who.role is Role.ADMIN or (
        who.role is Role.CONTRACTOR_ADMIN and reach_whole
    )  # the project's general contractor (or the admin): may_register_on
    return render(
        request,
        "enterprise_project.html",
        who,
        status_code=422 if errors else 200,
        title=N_("Project set-up"),
        project=project,
        picked=picked,
        whole=reach_whole,
        general=general,
        enterprises=enterprises,
        account=account,
        gates=gates,
        failed=form,
        values=values or {},
        errors=errors or {},
        saved=saved,
        statuses=PROJECT_STATUSES,
        my_roles=dict(MY_ROLES),
        sub_roles=SUB_ROLES,
    )


@router.get("/enterprise/projects/{project_id}")
def project_page(
    request: Request, who: EnterpriseUser, project_id: str, saved: str = ""
) -> Response:
    return _detail(request, who, project_id, saved=saved if saved.isalpha() else "")


def _saved(project_id: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"{BASE}/projects/{project_id}?saved={what}", status_code=303)


@router.post("/enterprise/projects/{project_id}/status")
async def change_status(request: Request, who: EnterpriseUser, project_id: str) -> Response:
    values = await submitted(request, ("status", "division_code"))
    db = database(request)
    with db.engine.connect() as conn:
        may_register_on(conn, who, project_id)
        current = organisations.project(conn, project_id)["division_code"]
    change = {k: v for k, v in values.items() if v}
    if current is not None and who.role is not Role.ADMIN:
        change.pop("division_code", None)  # set: moving a supervised site is the admin's
    try:
        data = organisations.ProjectChange.model_validate(change)
    except ValidationError as exc:
        errors = field_errors(exc, PROJECT_LABELS)
        return _detail(request, who, project_id, form="status", values=values, errors=errors)
    organisations.change_project(db, project_id, data)
    return _saved(project_id, "status")


@router.post("/enterprise/projects/{project_id}/enterprises")
async def add_subcontractor(request: Request, who: EnterpriseUser, project_id: str) -> Response:
    values = await submitted(request, ("uscc", "role"))
    db = database(request)
    with db.engine.connect() as conn:
        may_register_on(conn, who, project_id)
        errors: dict[str, FieldError] = {}
        enterprise_id = None
        try:
            code = credit_code(values["uscc"])
        except InvalidInput:
            errors = {
                "uscc": FieldError(
                    "uscc", SUB_LABELS["uscc"], N_("is not a valid unified social credit code")
                )
            }
        else:
            e = schema.enterprises.c
            enterprise_id = conn.execute(select(e.id).where(e.uscc == code)).scalar()
            if enterprise_id is None:
                errors = {
                    "uscc": FieldError(
                        "uscc",
                        SUB_LABELS["uscc"],
                        N_("no enterprise is registered with this code"),
                    )
                }
    if errors or enterprise_id is None:
        return _detail(request, who, project_id, form="enterprises", values=values, errors=errors)
    try:
        data = organisations.ProjectEnterpriseIn.model_validate(
            {"enterprise_id": enterprise_id, "role": values["role"]}
        )
    except ValidationError as exc:
        errors = field_errors(exc, SUB_LABELS)
        return _detail(request, who, project_id, form="enterprises", values=values, errors=errors)
    try:
        organisations.register_on_project(db, project_id, data, who.username)
    except Conflict:
        errors = {
            "uscc": FieldError(
                "uscc", SUB_LABELS["uscc"], N_("this enterprise is on the project already")
            )
        }
        return _detail(request, who, project_id, form="enterprises", values=values, errors=errors)
    return _saved(project_id, "enterprises")


@router.post("/enterprise/projects/{project_id}/wage-account")
async def set_wage_account(request: Request, who: EnterpriseUser, project_id: str) -> Response:
    values = await submitted(request, tuple(ACCOUNT_LABELS))
    values["account_number"] = "".join(values["account_number"].split())
    db = database(request)
    with db.engine.connect() as conn:
        may_register_on(conn, who, project_id)  # 404 outside; 403: not the general contractor
    try:
        data = arrears.WageAccountIn.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        errors = field_errors(exc, ACCOUNT_LABELS)
        return _detail(request, who, project_id, form="account", values=values, errors=errors)
    with db.begin() as conn:
        arrears.set_wage_account(conn, get_sealer(request), who.actor, project_id, data)
    return _saved(project_id, "account")


list_twins(
    router,
    "/enterprise/projects",
    _list,
    EnterpriseUser,
    name="enterprise_projects",
    rows=ProjectRows,
)
