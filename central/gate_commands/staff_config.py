"""A project's staff push a gate's config overlay and read whether the gate applied it.

The same steps as the admin's ``PUT /api/v1/devices/{site}/{device}/config``
(central/api/routes/device_sync.py) plus an audit row, for the enterprise console and
``PUT /api/v1/projects/{id}/gates/{device}/config``: the overlay is validated by
:class:`wireproto.commands.RemoteSettings` (and again at the gate against its firmware config),
stored as a new version (a dust profile must be one the gates ship), and pushed over MQTT
when central's command channel runs; the gate's ``…/sync`` report (``device_sync``) is the
acknowledgement shown as "applied".
"""

from pydantic import BaseModel, Field

from central import audit
from central.errors import InvalidInput
from central.gate_commands import config_push, reports
from central.gate_commands.channel import CommandChannel
from central.storage import Database
from firmware_config.dust_profiles import PROFILES
from wireproto.commands import RemoteSettings


class GateConfigState(BaseModel):
    """What central wants the gate to run, and what the gate last said it runs."""

    desired_version: int | None
    settings: RemoteSettings | None
    applied_version: int | None = Field(description="as the gate last reported; None: never")
    applied: bool = Field(description="the gate runs the newest version central has for it")
    config_error: str | None = Field(description="why the gate refused a version, if it did")
    config_rejected: int | None
    reported_at: str | None = Field(description="gate clock of that report")
    received_at: str | None = Field(description="central clock of that report (UTC)")


def config_state(db: Database, site: str, device: str) -> GateConfigState:
    want = config_push.desired(db, site, device)
    got = reports.state(db, site, device) or {}
    applied_version = got.get("config_version")
    wanted = want[0] if want else None
    return GateConfigState(
        desired_version=wanted,
        settings=want[1] if want else None,
        applied_version=applied_version,
        applied=wanted is not None
        and isinstance(applied_version, int)
        and applied_version >= wanted,
        config_error=got.get("config_error"),
        config_rejected=got.get("config_rejected"),
        reported_at=got.get("reported_at"),
        received_at=got.get("received_at"),
    )


def push(
    db: Database,
    commands: CommandChannel | None,
    actor: audit.Actor,
    site: str,
    device: str,
    settings: RemoteSettings,
) -> int:
    """Store ``settings`` as the gate's next config version, audit it, push it; the version.
    ``config_push.UnknownDevice`` for a device not provisioned on ``site``; InvalidInput for
    a dust profile the gates do not ship (the gate would refuse it)."""
    if settings.dust_profile is not None and settings.dust_profile not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise InvalidInput(f"dust_profile: unknown profile (shipped: {known})")
    version = config_push.set_desired(db, site, device, settings)
    with db.begin() as conn:
        audit.record(
            conn,
            actor,
            "gate.config_pushed",
            target_kind="device",
            target_id=f"{site}/{device}",
            project_id=site,
            detail={"version": version, "settings": settings.model_dump(exclude_none=True)},
        )
    if commands is not None:
        commands.send_config(site, device)
    return version
