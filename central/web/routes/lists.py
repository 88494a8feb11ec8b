"""The lists behind the overview's figures, each on the one table component.

Each list is three routes over one SELECT (central/reports/listings.py, cut to the caller's
projects): the page (``/console/projects``), its JSON twin (``.json``) and its export
(``.xlsx``), so what is shown, served and exported is the same rows.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Connection, Select
from starlette.responses import Response

from central.auth.users import Principal
from central.registry.divisions import english_names, in_city
from central.reports.fleet import CONFIG_STATE, camera_filter, fleet_select
from central.reports.listings import (
    GATE_STATE,
    projects_select,
    worker_project_filter,
    workers_select,
)
from central.storage import schema
from central.web import i18n, tables
from central.web.i18n import N_
from central.web.routes.table_views import Finish, show
from central.web.routing import list_twins, scope, web_router
from central.web.sessions import Supervisor, database
from central.web.tables import Column, Filter, TableSpec

router = web_router()

PROJECT_STATUSES = (
    ("under_construction", N_("Under construction")),
    ("suspended", N_("Suspended")),
    ("completed", N_("Completed")),
)

PROJECTS = TableSpec(
    name="projects",
    columns=(
        Column("id", N_("Project ID")),
        Column("name", N_("Project name")),
        Column("division_code", N_("Division code")),
        Column("division_name", N_("County/district")),
        Column("city_name", N_("City")),
        Column("status", N_("Status"), labels=PROJECT_STATUSES),
        Column("contractor", N_("General contractor")),
        Column("workers", N_("Workers"), kind="int"),
    ),
    default_sort="id",
    filters=(
        Filter("q", N_("Name contains"), schema.projects.c.name, match="contains"),
        Filter("status", N_("Status"), schema.projects.c.status, choices=PROJECT_STATUSES),
        Filter("division", N_("Division code"), schema.projects.c.division_code),
        Filter(
            "city",
            N_("City (name or code)"),
            clause=lambda v: in_city(schema.projects.c.division_code, v),
        ),
    ),
)

WORKERS = TableSpec(
    name="workers",
    columns=(
        Column("id", N_("Worker ID")),
        Column("name", N_("Name")),
        Column("id_number", N_("ID number"), sortable=False),
        Column("card", N_("Payroll card"), sortable=False),
        Column("bank", N_("Bank")),
    ),
    default_sort="id",
    filters=(
        Filter("q", N_("Name contains"), schema.workers.c.name, match="contains"),
        Filter("project", N_("Project ID"), clause=worker_project_filter),
    ),
)

GATE_STATES = (("online", N_("Online")), ("offline", N_("Offline")))
CAMERA_STATES = (
    ("ok", N_("Camera OK")),
    ("failed", N_("Camera failed")),
    ("unknown", N_("Not reported")),
)
CONFIG_STATES = (
    ("applied", N_("Applied by the gate")),
    ("pending", N_("Not yet applied")),
    ("rejected", N_("Refused by the gate")),
    ("none", N_("None pushed")),
)

#: The gate fleet (central/reports/fleet.py): the same rows as GET /api/v1/fleet/gates.
GATES = TableSpec(
    name="gates",
    columns=(
        Column("gate", N_("Gate")),
        Column("project", N_("Project name")),
        Column("device", N_("Device")),
        Column("state", N_("State"), labels=GATE_STATES),
        Column("status_at", N_("Last status")),
        Column("silent_since", N_("Silent since")),
        Column("online_since", N_("Online since")),
        Column("offline_since", N_("Offline since")),
        Column("outbox_depth", N_("Outbox depth"), kind="int"),
        Column("clock_offset_ms", N_("Clock offset (ms)"), kind="int"),
        Column("camera", N_("Camera"), labels=CAMERA_STATES[:2]),
        Column("software", N_("Software")),
        Column("config_version", N_("Config version"), kind="int"),
        Column("config_applied", N_("Config applied"), kind="int"),
        Column("config_state", N_("Config state"), labels=CONFIG_STATES),
    ),
    default_sort="gate",
    filters=(
        Filter("state", N_("State"), GATE_STATE, choices=GATE_STATES),
        Filter("project", N_("Project ID"), schema.devices.c.site),
        Filter("camera", N_("Camera"), clause=camera_filter, choices=CAMERA_STATES),
        Filter("config", N_("Config state"), CONFIG_STATE, choices=CONFIG_STATES),
    ),
)

LISTS: dict[str, tuple[TableSpec, str, Callable[[set[str] | None], Select[Any]]]] = {
    "projects": (PROJECTS, N_("Projects"), projects_select),
    "workers": (WORKERS, N_("Workers"), workers_select),
    "gates": (GATES, N_("Gates"), fleet_select),
}


class TableRows(BaseModel):
    """A list's JSON twin: every row its filters select, in its order (as the export)."""

    rows: list[dict[str, str | int | None]]
    total: int


def division_names(request: Request, *pairs: tuple[str, str]) -> Finish:
    """A finishing step for a list with division names (central/registry/divisions.py
    ``name_of`` columns, in Chinese): for an English reader each ``(name, code)`` column pair
    gets the English name; a code without a name shows the code."""

    def finish(conn: Connection, rows: list[dict[str, Any]]) -> None:
        if i18n.locale_of(request) == "en":
            english_names(conn, rows, pairs)
        for r in rows:
            for name_key, code_key in pairs:
                if r.get(name_key) is None:
                    r[name_key] = r.get(code_key)

    return finish


NAMED: dict[str, tuple[tuple[str, str], ...]] = {
    "projects": (("division_name", "division_code"), ("city_name", "city")),
}


def _show(request: Request, who: Principal, name: str, fmt: str) -> Response:
    spec, title, select_for = LISTS[name]
    state = tables.state_from(spec, dict(request.query_params))
    with database(request).engine.connect() as conn:
        base = select_for(scope(conn, who))
        return show(
            request,
            who,
            conn,
            spec=spec,
            state=state,
            base=base,
            fmt=fmt,
            title=title,
            name=name,
            rows_model=TableRows,
            finish=division_names(request, *NAMED[name]) if name in NAMED else None,
        )


for _name in ("projects", "workers", "gates"):
    list_twins(
        router, f"/{_name}", partial(_show, name=_name), Supervisor, name=_name, rows=TableRows
    )
