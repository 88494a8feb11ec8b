"""Gates (闸机) in the enterprise console: status, provisioning, the one-time config file, and
config pushes with the gate's acknowledgement.

- The list is the gate fleet (central/reports/fleet.py) of the caller's projects, the same
  rows as ``GET /api/v1/enterprise/gates`` (page, ``.json``, ``.xlsx``).
- Provisioning (the general contractor's office: ``scope.may_manage_gates``) runs
  ``gate_handover.provision`` as ``POST /api/v1/projects/{id}/gates`` does; the gate's page
  then offers its config file for download **once** (a POST, so no prefetch or crawler takes
  it); a second download is refused (409) and the page says when and by whom it was taken.
- A config push (recognition threshold and margin, debounce, liveness) is validated by
  ``RemoteSettings``; the page shows the version central wants and the one the gate reports.
"""

from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, select
from starlette.responses import RedirectResponse, Response

from central.auth.deps import get_sealer
from central.auth.scope import may_manage_gates, require_project, whole_projects
from central.auth.users import Principal, Role
from central.clock import zone
from central.errors import Conflict, InvalidInput, NotFound
from central.gate_commands.staff_config import config_state, push
from central.provisioning import gate_handover
from central.reports.fleet import CONFIG_STATE, GateRow, fleet_select
from central.reports.listings import GATE_STATE
from central.storage import schema
from central.web import tables
from central.web.forms import FieldError, field_errors, refusal, submitted
from central.web.i18n import N_
from central.web.project_picker import choices
from central.web.routes.lists import CAMERA_STATES, CONFIG_STATES, GATE_STATES
from central.web.routes.table_views import show
from central.web.routing import PREFIX, list_twins, scope, web_router
from central.web.sessions import EnterpriseUser, database
from central.web.tables import Column, Filter, TableSpec
from central.web.templating import render
from firmware_config.dust_profiles import PROFILES
from wireproto.commands import RemoteSettings

router = web_router()
BASE = PREFIX + "/enterprise/gates"

GATES = TableSpec(
    name="enterprise_gates",
    columns=(
        Column("gate", N_("Gate"), link=BASE + "/{project_id}/{device}"),
        Column("project", N_("Project name")),
        Column("state", N_("State"), labels=GATE_STATES),
        Column("status_at", N_("Last status")),
        Column("silent_since", N_("Silent since")),
        Column("outbox_depth", N_("Outbox depth"), kind="int"),
        Column("clock_offset_ms", N_("Clock offset (ms)"), kind="int"),
        Column("camera", N_("Camera"), labels=CAMERA_STATES[:2]),
        Column("config_version", N_("Config version"), kind="int"),
        Column("config_applied", N_("Config applied"), kind="int"),
        Column("config_state", N_("Config state"), labels=CONFIG_STATES),
    ),
    default_sort="gate",
    filters=(
        Filter("project", N_("Project ID"), schema.devices.c.site),
        Filter("state", N_("State"), GATE_STATE, choices=GATE_STATES),
        Filter("config", N_("Config state"), CONFIG_STATE, choices=CONFIG_STATES),
    ),
)

PROVISION_LABELS = {
    "project": N_("Project"),
    "device": N_("Gate ID"),
    "broker_url": N_("Broker address the gate uses"),
    "ca_file": N_("CA certificate path on the gate"),
}
CONFIG_LABELS = {
    "threshold": N_("Match threshold"),
    "margin": N_("Margin over the next person"),
    "debounce_s": N_("Debounce (seconds)"),
    "liveness": N_("Liveness check"),
    "dust_profile": N_("Dust limit profile"),
}
LIVENESS = (
    ("", N_("As in the gate's file")),
    ("off", N_("Off")),
    ("normal", N_("Normal")),
    ("strict", N_("Strict")),
)


#: The dust limit profiles the gates ship (firmware_config/dust_profiles.py), by name.
DUST_PROFILES = (("", N_("As in the gate's file")), *((n, n) for n in sorted(PROFILES)))


class GateRows(BaseModel):
    """The list's JSON twin: the same rows as ``GET /api/v1/enterprise/gates``."""

    rows: list[GateRow]
    total: int


def _manageable(conn: Connection, who: Principal) -> list[tuple[str, str]]:
    """(project id, label) of the projects whose gates the caller may provision."""
    if who.role not in (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER, Role.ADMIN):
        return []
    whole = whole_projects(conn, who)  # once, not a project_reach per project offered
    return [
        (c.id, f"{c.name} ({c.id})") for c in choices(conn, who) if whole is None or c.id in whole
    ]


def _list(
    request: Request,
    who: Principal,
    fmt: str,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
) -> Response:
    state = tables.state_from(GATES, dict(request.query_params))
    with database(request).engine.connect() as conn:
        manageable = _manageable(conn, who) if fmt == "html" else []
        default_broker = gate_handover.gate_broker_url(request.app.state.service.broker_url)
        response = show(
            request,
            who,
            conn,
            spec=GATES,
            state=state,
            base=fleet_select(scope(conn, who)),
            fmt=fmt,
            title=N_("Gates"),
            name="enterprise/gates",
            template="enterprise_gates.html",
            rows_model=GateRows,
            manageable=manageable,
            values=values or {"broker_url": default_broker},
            errors=errors or {},
        )
    if errors:
        response.status_code = 422
    return response


@router.post("/enterprise/gates")
async def provision(request: Request, who: EnterpriseUser) -> Response:
    values = await submitted(request, tuple(PROVISION_LABELS))
    db = database(request)
    project_id = values["project"]
    with db.engine.connect() as conn:
        if not project_id or project_id not in dict(_manageable(conn, who)):
            # not offered: outside the caller's projects (404) or not theirs to manage (403);
            # the admin reaches every id, even one no project has (404 too)
            may_manage_gates(conn, who, project_id or "-")
            raise NotFound(f"project {project_id[:64]}")
    errors: dict[str, FieldError] = {}
    try:
        gate_handover.check_device_id(values["device"])
    except InvalidInput as exc:
        errors.update(refusal("device", PROVISION_LABELS["device"], exc))
    try:
        gate_handover.check_broker_url(values["broker_url"])
    except InvalidInput as exc:
        errors.update(refusal("broker_url", PROVISION_LABELS["broker_url"], exc))
    if errors:
        return _list(request, who, "html", values, errors)
    try:
        gate_handover.provision(
            db,
            get_sealer(request),
            who.actor,
            project_id,
            values["device"],
            values["broker_url"],
            values["ca_file"] or None,
        )
    except Conflict:
        taken = FieldError(
            "device", PROVISION_LABELS["device"], N_("is already provisioned on this project")
        )
        return _list(request, who, "html", values, {"device": taken})
    return RedirectResponse(f"{BASE}/{project_id}/{values['device']}", status_code=303)


# ---- one gate: status, its config file (once), config push -------------------------------


def _gate_row(conn: Connection, who: Principal, project_id: str, device: str) -> dict[str, Any]:
    require_project(conn, who, project_id)  # 404 outside the caller's projects
    q = fleet_select([project_id]).subquery()
    row = conn.execute(select(q).where(q.c.device == device)).first()
    if row is None:
        raise NotFound(f"gate {device}")
    return dict(row._mapping)


def _gate_page(
    request: Request,
    who: Principal,
    project_id: str,
    device: str,
    *,
    status: int = 200,
    gone: gate_handover.Handover | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    saved: bool = False,
) -> Response:
    db = database(request)
    with db.engine.connect() as conn:
        gate = _gate_row(conn, who, project_id, device)
        manage = project_id in dict(_manageable(conn, who))
    handover = gate_handover.handovers(db, project_id).get(device) if manage else None
    handover, gone = _in_zone(request, handover), _in_zone(request, gone)
    state = config_state(db, project_id, device) if manage else None
    current = state.settings if state and state.settings else None
    shown = values or (
        {
            "threshold": _text(current.recognition.threshold),
            "margin": _text(current.recognition.margin),
            "debounce_s": _text(current.debounce_s),
            "liveness": current.liveness or "",
            "dust_profile": current.dust_profile or "",
        }
        if current
        else {}
    )
    return render(
        request,
        "enterprise_gate.html",
        who,
        status_code=status,
        gate=gate,
        project_id=project_id,
        manage=manage,
        handover=handover,
        gone=gone,
        config=state,
        values=shown,
        errors=errors or {},
        saved=saved,
        liveness=LIVENESS,
        dust_profiles=DUST_PROFILES,
        gate_states=dict(GATE_STATES),
        config_states=dict(CONFIG_STATES),
    )


def _in_zone(
    request: Request, handover: gate_handover.Handover | None
) -> gate_handover.Handover | None:
    """The hand-over's moments (stored in UTC) in the deployment's zone, as people read them."""
    if handover is None:
        return None
    tz = zone(request.app.state.service.settings.timezone)

    def local(stamp: str | None) -> str | None:
        return stamp and datetime.fromisoformat(stamp).astimezone(tz).isoformat()

    return replace(
        handover,
        provisioned_at=local(handover.provisioned_at) or handover.provisioned_at,
        downloaded_at=local(handover.downloaded_at),
    )


def _text(value: object) -> str:
    return "" if value is None else str(value)


@router.get("/enterprise/gates/{project_id}/{device}")
def gate_page(
    request: Request, who: EnterpriseUser, project_id: str, device: str, saved: str = ""
) -> Response:
    return _gate_page(request, who, project_id, device, saved=saved == "1")


@router.post("/enterprise/gates/{project_id}/{device}/config-file")
def download(request: Request, who: EnterpriseUser, project_id: str, device: str) -> Response:
    db = database(request)
    with db.engine.connect() as conn:
        _gate_row(conn, who, project_id, device)
        may_manage_gates(conn, who, project_id)
    try:
        text = gate_handover.take_config_file(
            db, get_sealer(request), who.actor, project_id, device
        )
    except gate_handover.AlreadyDownloaded as exc:
        return _gate_page(request, who, project_id, device, status=409, gone=exc.handover)
    return gate_handover.config_file_response(project_id, device, text)


def _number(raw: str) -> float | str | None:
    """A typed number kept as typed when it is not one (pydantic names the field then)."""
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return raw


@router.post("/enterprise/gates/{project_id}/{device}/config")
async def push_config(
    request: Request, who: EnterpriseUser, project_id: str, device: str
) -> Response:
    values = await submitted(request, tuple(CONFIG_LABELS))
    db = database(request)
    with db.engine.connect() as conn:
        _gate_row(conn, who, project_id, device)
        may_manage_gates(conn, who, project_id)
    raw: dict[str, Any] = {
        "recognition": {
            k: v
            for k, v in (
                ("threshold", _number(values["threshold"])),
                ("margin", _number(values["margin"])),
            )
            if v is not None
        }
    }
    if values["debounce_s"]:
        raw["debounce_s"] = _number(values["debounce_s"])
    if values["liveness"]:
        raw["liveness"] = values["liveness"]
    if values["dust_profile"]:
        raw["dust_profile"] = values["dust_profile"]
    try:
        settings = RemoteSettings.model_validate(raw)
    except ValidationError as exc:
        errors = field_errors(exc, CONFIG_LABELS, nested=("recognition",))
        return _gate_page(
            request, who, project_id, device, status=422, values=values, errors=errors
        )
    if settings.dust_profile is not None and settings.dust_profile not in PROFILES:
        unknown = FieldError(
            "dust_profile", CONFIG_LABELS["dust_profile"], N_("is not one of the choices")
        )
        return _gate_page(
            request,
            who,
            project_id,
            device,
            status=422,
            values=values,
            errors={"dust_profile": unknown},
        )
    push(db, request.app.state.service.commands, who.actor, project_id, device, settings)
    return RedirectResponse(f"{BASE}/{project_id}/{device}?saved=1", status_code=303)


list_twins(
    router, "/enterprise/gates", _list, EnterpriseUser, name="enterprise_gates", rows=GateRows
)
