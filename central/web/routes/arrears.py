"""存量欠薪案件: the arrears-case register as a list, behind the overview's arrears figures.

The rows come from central/registry/arrears.py ``cases_select``, the SELECT that
``GET /api/v1/arrears-cases`` reads too, cut to the supervisor's projects: page, JSON twin
and xlsx export hold the same rows.
"""

from fastapi import Request
from sqlalchemy import ColumnElement, select
from starlette.responses import JSONResponse, Response

from central.auth.users import Principal
from central.registry.arrears import cases_select
from central.storage import schema
from central.web import i18n, tables
from central.web.i18n import N_
from central.web.routes.lists import TableRows
from central.web.routing import scope, web_router
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
    """Cases on projects whose division code lies in the city ``value`` (e.g. 450100)."""
    p = schema.projects.c
    return schema.arrears_cases.c.project_id.in_(
        select(p.id).where(p.division_code.startswith(value[:4]))
    )


ARREARS = TableSpec(
    name="arrears",
    columns=(
        Column("id", N_("No."), kind="int"),
        Column("opened_at", N_("Opened at")),
        Column("project_id", N_("Project ID"), link="/console/workers?project={project_id}"),
        Column("project_name", N_("Project name")),
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
        Filter("city", N_("City code"), clause=_city),
    ),
)


def _show(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(ARREARS, dict(request.query_params))
    with database(request).engine.connect() as conn:
        base = cases_select(scope(conn, who))
        if fmt == "html":
            shown = tables.page(conn, ARREARS, base, state)
        else:
            rows = tables.all_rows(conn, ARREARS, base, state)
    if fmt == "html":
        title = N_("Arrears cases")
        return render(request, "table.html", who, title=title, table=shown, name="arrears")
    if fmt == "json":
        return JSONResponse(TableRows(rows=rows, total=len(rows)).model_dump(mode="json"))
    t = i18n.translations(i18n.locale_of(request))
    body = tables.xlsx(ARREARS, [t.gettext(c.label) for c in ARREARS.columns], rows)
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="arrears.xlsx"'},
    )


@router.get("/arrears")
def arrears_page(request: Request, who: Supervisor) -> Response:
    return _show(request, who, "html")


@router.get("/arrears.json", response_model=TableRows)
def arrears_json(request: Request, who: Supervisor) -> Response:
    return _show(request, who, "json")


@router.get("/arrears.xlsx")
def arrears_xlsx(request: Request, who: Supervisor) -> Response:
    return _show(request, who, "xlsx")
