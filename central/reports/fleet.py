"""The gate fleet as a supervisor sees it: each gate's last signed status, read in the database.

A gate reports its state in a signed status body (wireproto ``DeviceStatusBody``) that ingest
keeps, last one only, in ``devices.status`` as JSON text; what it has applied of central's
config it reports on ``…/sync`` (``device_sync``), and what central wants it to run is the
newest ``device_configs`` version. :func:`fleet_select` turns those into one row per gate,
as a SELECT (not rows) so the console's table component can page, sort and filter it in the
database, and the API route and the page run the same query.

Fields of the JSON text are read with the database's own JSON functions (``json_extract`` on
SQLite, ``->>`` on PostgreSQL) through :class:`json_field`, so sorting by outbox depth or
filtering on camera health never loads the fleet into Python.

Central keeps a gate's *last* status only: the ``status_at`` of an online gate is its last
heartbeat, that of an offline gate the moment its offline status (clean stop or last will)
was stamped. How long a gate has been online or offline comes from its link transitions
(``gate_links``, central/warnings/gate_links.py): ``online_since`` / ``offline_since`` are
its newest transition's time; how long it has been silent also shows as the open
``device_offline`` warning of the warnings queue (``silent_since``).
"""

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from central.reports.listings import GATE_STATE
from central.storage import schema
from central.storage.project_scope import in_scope


class json_field(FunctionElement[str]):
    """A JSON text column's top-level field ``key`` as text (NULL when absent).

    Booleans come out as ``"true"``/``"false"`` on both databases (SQLite's ``json_extract``
    would give 1/0; ``->>`` gives the JSON literal), so one comparison serves both.
    """

    type = String()
    inherit_cache = True
    name = "json_field"


@compiles(json_field, "postgresql")
def _pg(element: json_field, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = list(element.clauses)
    return f"(CAST({compiler.process(column, **kw)} AS JSON) ->> {compiler.process(key, **kw)})"


@compiles(json_field)
def _sqlite(element: json_field, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = list(element.clauses)
    path = compiler.process(literal("$.") + key, **kw)
    value = f"json_extract({compiler.process(column, **kw)}, {path})"
    kind = f"json_type({compiler.process(column, **kw)}, {path})"
    return f"(CASE {kind} WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE {value} END)"


def _field(key: str) -> ColumnElement[str]:
    return json_field(schema.devices.c.status, literal(key))


def _int_field(key: str) -> ColumnElement[int]:
    return cast(_field(key), Integer)


#: Camera health as the gate reports it: every camera delivering frames (``ok``) or not.
CAMERA = case(
    (_field("camera_ok") == "true", literal("ok")),
    (_field("camera_ok") == "false", literal("failed")),
    else_=null(),
)


def _latest_config() -> ColumnElement[int]:
    c, d = schema.device_configs.c, schema.devices.c
    return (
        select(func.max(c.version)).where(c.site == d.site, c.device == d.device).scalar_subquery()
    )


def _silent_since() -> ColumnElement[str]:
    """When the gate was last heard from, if the warnings queue holds it silent now: the open
    ``device_offline`` warning central/warnings/devices.py raised for it (NULL: not silent)."""
    w, d = schema.wage_warnings.c, schema.devices.c
    return (
        select(json_field(w.evidence, literal("last_heard")))
        .where(
            w.kind == "device_offline",
            w.state == "open",
            w.project_id == d.site,
            json_field(w.evidence, literal("device")) == d.device,
        )
        .order_by(w.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _newest_link(column: str) -> ColumnElement[str]:
    """A column of the gate's newest ``gate_links`` row (NULL: no transition recorded yet)."""
    g, d = schema.gate_links.c, schema.devices.c
    return (
        select(g[column])
        .where(g.site == d.site, g.device == d.device)
        .order_by(g.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _since(state: str) -> ColumnElement[str]:
    """When the gate's current link state ``state`` began, if that is its state now."""
    return case((_newest_link("state") == state, _newest_link("since")), else_=null())


def _config_state(wanted: ColumnElement[int]) -> ColumnElement[str]:
    """``applied``, ``pending``, ``rejected``, or ``none`` (central never pushed a config)."""
    s = schema.device_sync.c
    return case(
        (wanted.is_(None), literal("none")),
        (s.config_rejected == wanted, literal("rejected")),
        (and_(s.config_version.is_not(None), s.config_version >= wanted), literal("applied")),
        else_=literal("pending"),
    )


#: What the gate runs of central's config: ``applied``, ``pending``, ``rejected`` or ``none``.
CONFIG_STATE = _config_state(_latest_config())


def fleet_select(projects: Collection[str] | None) -> Select[Any]:
    """One row per gate of the projects in scope (None: every gate), newest facts only."""
    d, p, s = schema.devices.c, schema.projects.c, schema.device_sync.c
    return (
        select(
            (d.site + "/" + d.device).label("gate"),
            d.site.label("project_id"),
            p.name.label("project"),
            d.device.label("device"),
            GATE_STATE.label("state"),
            d.status_at.label("status_at"),
            _silent_since().label("silent_since"),
            _since("online").label("online_since"),
            _since("offline").label("offline_since"),
            _int_field("outbox_depth").label("outbox_depth"),
            _int_field("clock_offset_ms").label("clock_offset_ms"),
            CAMERA.label("camera"),
            _field("software_version").label("software"),
            _latest_config().label("config_version"),
            s.config_version.label("config_applied"),
            CONFIG_STATE.label("config_state"),
        )
        .select_from(
            schema.devices.outerjoin(schema.projects, p.id == d.site).outerjoin(
                schema.device_sync, and_(s.site == d.site, s.device == d.device)
            )
        )
        .where(in_scope(d.site, projects))
    )


def camera_filter(value: str) -> ColumnElement[bool]:
    """The fleet list's camera filter: ``ok``, ``failed`` or ``unknown`` (never reported)."""
    return CAMERA.is_(None) if value == "unknown" else CAMERA.in_([value])


class GateRow(BaseModel):
    """One gate of the fleet, as ``GET /api/v1/fleet/gates`` and the console's list show it."""

    gate: str = Field(description="site/device")
    project_id: str
    project: str | None
    device: str
    state: str = Field(description="online | offline, by the last signed status")
    status_at: str | None = Field(
        description="when the last status was stamped (device clock, with offset): an online "
        "gate's last heartbeat, an offline gate's going offline; null: never heard from"
    )
    silent_since: str | None = Field(
        description="set while the warnings queue holds the gate silent (not heard from for "
        "the configured time): when it was last heard from"
    )
    online_since: str | None = Field(
        None,
        description="when the gate came online, if its newest link transition is online "
        "(ISO 8601 with the offset its source stamped; from heartbeats and events after "
        "an outage)",
    )
    offline_since: str | None = Field(
        None,
        description="when the gate was last heard from, if its newest link transition is "
        "offline (silent past the configured time, or its last status said offline)",
    )
    outbox_depth: int | None = Field(description="events waiting on the gate for central's ack")
    clock_offset_ms: int | None = Field(description="gate clock minus NTP time, milliseconds")
    camera: str | None = Field(description="ok | failed; null: not reported")
    software: str | None
    config_version: int | None = Field(description="the newest config central has for it")
    config_applied: int | None = Field(description="the config version the gate says it runs")
    config_state: str = Field(description="applied | pending | rejected | none")
