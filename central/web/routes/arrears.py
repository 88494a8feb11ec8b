"""存量欠薪案件: the arrears-case register as a list, behind the overview's arrears figures.

The rows come from central/registry/arrears.py ``cases_select``, the SELECT that
``GET /api/v1/arrears-cases`` reads too, cut to the supervisor's projects: page, JSON twin
and xlsx export hold the same rows.
"""

from fastapi import Request
from sqlalchemy import ColumnElement, select
from starlette.responses import Response

from central.auth.users import Principal
from central.registry.arrears import cases_select
from central.storage import schema
from central.web import tables
from central.web.i18n import N_
from central.web.routes.lists import TableRows
from central.web.routes.table_views import show
from central.web.routing import list_twins, scope, web_router
from central.web.sessions import Supervisor, database
from central.web.tables import Column, Filter, TableSpec

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
        )


list_twins(router, "/arrears", _show, Supervisor, name="arrears", rows=TableRows)
