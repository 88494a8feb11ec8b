"""Remote config per device and face galleries per site: set at central, synced to gates.

Writes return at once with the new version; the push happens over MQTT, and the gate's
report (``applied_version``, ``gallery_version`` per device) is the acknowledgement.
"""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import AdminOnly
from central.errors import InvalidInput, NotFound
from central.gate_commands import config_push, reports
from central.gate_commands.gallery import MAX_TEMPLATES, BadTemplate
from central.validation import Float32
from wireproto.commands import RemoteSettings
from wireproto.topics import ID_PATTERN

# Device management, including raw gallery writes that bypass face consent: admin only.
router = APIRouter(
    prefix="/api/v1",
    tags=["device sync"],
    dependencies=[AdminOnly],
    responses=error_responses(*AUTHENTICATED, 403),
)

SiteId = Annotated[str, Path(pattern=rf"^{ID_PATTERN}$")]
DeviceId = Annotated[str, Path(pattern=rf"^{ID_PATTERN}$")]
WorkerIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


class ConfigVersion(BaseModel):
    version: int


class ConfigState(BaseModel):
    desired_version: int | None
    settings: RemoteSettings | None
    applied_version: int | None = Field(description="as the gate last reported; None: never")
    config_error: str | None
    config_rejected: int | None
    reported_at: str | None = Field(description="gate clock of that report")
    received_at: str | None = Field(description="central clock of that report (UTC)")


class WorkerTemplatesIn(BaseModel):
    encodings: list[Annotated[list[Float32], Field(min_length=128, max_length=128)]] = Field(
        min_length=1, max_length=MAX_TEMPLATES, description="128-d face encodings"
    )


class GalleryVersion(BaseModel):
    version: int


class GalleryState(BaseModel):
    version: int
    workers: list[str]
    devices: dict[str, int] = Field(description="device → gallery version it reported")


@router.put(
    "/devices/{site}/{device}/config", response_model=ConfigVersion, responses=error_responses(404)
)
def put_config(
    site: SiteId, device: DeviceId, settings: RemoteSettings, db: DbDep, service: ServiceDep
) -> ConfigVersion:
    """Set the device's remote config overlay (validated here and again at the gate)."""
    try:
        version = config_push.set_desired(db, site, device, settings)
    except config_push.UnknownDevice:
        raise NotFound(f"device {site}/{device} is not provisioned") from None
    if service.commands is not None:
        service.commands.send_config(site, device)
    return ConfigVersion(version=version)


@router.get("/devices/{site}/{device}/config", response_model=ConfigState)
def get_config(site: SiteId, device: DeviceId, db: DbDep) -> ConfigState:
    """The overlay central wants the device to run, and what the device last reported."""
    want = config_push.desired(db, site, device)
    got = reports.state(db, site, device) or {}
    return ConfigState(
        desired_version=want[0] if want else None,
        settings=want[1] if want else None,
        applied_version=got.get("config_version"),
        config_error=got.get("config_error"),
        config_rejected=got.get("config_rejected"),
        reported_at=got.get("reported_at"),
        received_at=got.get("received_at"),
    )


@router.put("/sites/{site}/gallery/{worker_id}", response_model=GalleryVersion)
def put_worker(
    site: SiteId, worker_id: WorkerIdPath, body: WorkerTemplatesIn, service: ServiceDep
) -> GalleryVersion:
    """Enrol (or re-enrol) a worker at a site's gates; templates are sealed at rest."""
    try:
        version = service.gallery.put_worker(site, worker_id, body.encodings)
    except BadTemplate as exc:
        raise InvalidInput(str(exc)) from None
    if service.commands is not None:
        service.commands.gallery_changed(site)
    return GalleryVersion(version=version)


@router.delete(
    "/sites/{site}/gallery/{worker_id}",
    response_model=GalleryVersion,
    responses=error_responses(404),
)
def delete_worker(site: SiteId, worker_id: WorkerIdPath, service: ServiceDep) -> GalleryVersion:
    """Remove a worker from a site's gates."""
    version = service.gallery.remove_worker(site, worker_id)
    if version is None:
        raise NotFound(f"{worker_id} is not enrolled at {site}")
    if service.commands is not None:
        service.commands.gallery_changed(site)
    return GalleryVersion(version=version)


@router.get("/sites/{site}/gallery", response_model=GalleryState)
def get_gallery(site: SiteId, db: DbDep, service: ServiceDep) -> GalleryState:
    """The site's gallery version and workers, and the version each gate reported."""
    gallery = service.gallery
    return GalleryState(
        version=gallery.version(site),
        workers=gallery.workers(site),
        devices=dict(reports.site_devices(db, site)),
    )
