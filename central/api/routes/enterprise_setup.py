"""The enterprise console's set-up figures over HTTP: the caller's projects, their gates
(status, provisioning with a config file handed over once, config push), today at a site.

Each route calls the service function its console page calls (central/reports/
enterprise_projects.py, fleet.py, site_today.py; central/provisioning/gate_handover.py;
central/gate_commands/staff_config.py) with the caller's scope from central/auth/scope.py:
reading is for whoever sees the project (a subcontractor: its own workers in the site's
figures), changing gates for the general contractor's office (``scope.may_manage_gates``).
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select
from starlette.responses import Response

from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import (
    may_manage_gates,
    own_enterprise,
    project_worker_cut,
    require_project,
    require_role,
    visible_projects,
)
from central.auth.users import Role
from central.errors import NotFound
from central.gate_commands import config_push
from central.gate_commands.staff_config import GateConfigState, config_state, push
from central.provisioning import gate_handover
from central.registry import organisations
from central.reports.enterprise_projects import EnterpriseProject, projects_select
from central.reports.fleet import GateRow, fleet_select
from central.reports.site_today import SiteToday, site_today
from central.storage import schema
from central.validation import ProjectId
from wireproto.commands import RemoteSettings
from wireproto.topics import ID_PATTERN

router = APIRouter(
    prefix="/api/v1", tags=["enterprise set-up"], responses=error_responses(*AUTHENTICATED)
)
STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
ProjectPath = Annotated[ProjectId, Path()]
DevicePath = Annotated[str, Path(pattern=rf"^{ID_PATTERN}$", max_length=64)]


@router.get(
    "/enterprise/projects", response_model=list[EnterpriseProject], responses=error_responses(403)
)
def my_projects(who: CurrentUser, db: DbDep) -> list[EnterpriseProject]:
    """The caller's projects with its part in each (general contractor, subcontractor …)."""
    require_role(who, *STAFF)
    with db.engine.connect() as conn:
        q = projects_select(own_enterprise(who), visible_projects(conn, who)).subquery()
        rows = conn.execute(select(q).order_by(q.c.name, q.c.id))
        return [EnterpriseProject.model_validate(dict(r._mapping)) for r in rows]


@router.get("/enterprise/gates", response_model=list[GateRow], responses=error_responses(403))
def my_gates(who: CurrentUser, db: DbDep) -> list[GateRow]:
    """The gates of the caller's projects: state, heartbeat, outbox, clock, config."""
    require_role(who, *STAFF)
    with db.engine.connect() as conn:
        q = fleet_select(visible_projects(conn, who)).subquery()
        return [
            GateRow.model_validate(dict(r._mapping))
            for r in conn.execute(select(q).order_by(q.c.gate))
        ]


class GateIn(BaseModel):
    device: str = Field(pattern=rf"^{ID_PATTERN}$", max_length=64, description="the gate's id")
    broker_url: str | None = Field(
        None, max_length=200, description="mqtt(s)://host:port the gate uses; default: central's"
    )
    ca_file: str | None = Field(
        None, max_length=200, description="CA certificate path on the gate (mqtts:// brokers)"
    )


class GateHandover(BaseModel):
    site: str
    device: str
    provisioned_by: str
    provisioned_at: str
    downloaded_by: str | None
    downloaded_at: str | None


def _device_on(conn: Connection, project_id: str, device: str) -> None:
    d = schema.devices.c
    found = conn.execute(select(d.device).where(d.site == project_id, d.device == device)).first()
    if found is None:
        raise NotFound(f"gate {device}")


@router.post(
    "/projects/{project_id}/gates",
    status_code=201,
    response_model=GateHandover,
    responses=error_responses(403, 404, 409, 422),
)
def provision_gate(
    project_id: ProjectPath,
    body: GateIn,
    who: CurrentUser,
    db: DbDep,
    sealer: SealerDep,
    service: ServiceDep,
) -> GateHandover:
    """Provision a gate on the project (its secret and broker account); its config file is
    then downloaded once (``POST …/gates/{device}/config-file``)."""
    with db.engine.connect() as conn:
        may_manage_gates(conn, who, project_id)
        organisations.project(conn, project_id)  # the admin reaches any id: 404 for no project
    url = body.broker_url or gate_handover.gate_broker_url(service.broker_url)
    made = gate_handover.provision(
        db, sealer, who.actor, project_id, body.device, url, body.ca_file
    )
    return GateHandover.model_validate(made, from_attributes=True)


@router.post(
    "/projects/{project_id}/gates/{device}/config-file",
    response_class=Response,
    responses={
        200: {
            "content": {"application/yaml": {"schema": {"type": "string"}}},
            "description": "the gate's config file",
        },
        **error_responses(403, 404, 409),
    },
)
def download_config(
    project_id: ProjectPath,
    device: DevicePath,
    who: CurrentUser,
    db: DbDep,
    sealer: SealerDep,
) -> Response:
    """The gate's config file, once (it holds the device's secret); 409 every later time."""
    with db.engine.connect() as conn:
        may_manage_gates(conn, who, project_id)
        _device_on(conn, project_id, device)
    text = gate_handover.take_config_file(db, sealer, who.actor, project_id, device)
    return gate_handover.config_file_response(project_id, device, text)


@router.put(
    "/projects/{project_id}/gates/{device}/config",
    response_model=GateConfigState,
    responses=error_responses(403, 404, 422),
)
def put_gate_config(
    project_id: ProjectPath,
    device: DevicePath,
    settings: RemoteSettings,
    who: CurrentUser,
    db: DbDep,
    service: ServiceDep,
) -> GateConfigState:
    """Push a config overlay (recognition threshold and margin, debounce, liveness) to the
    gate; ``applied`` turns true when the gate reports running it."""
    with db.engine.connect() as conn:
        may_manage_gates(conn, who, project_id)
        _device_on(conn, project_id, device)
    try:
        push(db, service.commands, who.actor, project_id, device, settings)
    except config_push.UnknownDevice:
        raise NotFound(f"gate {device}") from None
    return config_state(db, project_id, device)


@router.get(
    "/projects/{project_id}/gates/{device}/config",
    response_model=GateConfigState,
    responses=error_responses(403, 404),
)
def get_gate_config(
    project_id: ProjectPath, device: DevicePath, who: CurrentUser, db: DbDep
) -> GateConfigState:
    """The overlay central wants the gate to run, and what the gate last reported."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *STAFF)
        _device_on(conn, project_id, device)
    return config_state(db, project_id, device)


@router.get(
    "/projects/{project_id}/today", response_model=SiteToday, responses=error_responses(403, 404)
)
def today_at_site(project_id: ProjectPath, who: CurrentUser, db: DbDep) -> SiteToday:
    """Who is on site now, arrivals by hour, what each gate turned away today, and gates
    silent or behind; a subcontractor's figures count its own workers only."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, *STAFF, Role.SUPERVISOR)
        return site_today(
            conn, project_worker_cut(conn, who, project_id), project_id, datetime.now(UTC)
        )
