"""Each device's desired remote config, kept by version; the push is always the whole overlay."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from central.storage import Database, schema
from wireproto.commands import ConfigPush, RemoteSettings, encode_signed


class UnknownDevice(LookupError):
    """No such device is provisioned."""


def set_desired(db: Database, site: str, device: str, settings: RemoteSettings) -> int:
    """Store a new version for the device; returns it. The gate applies it on its next sync."""
    c = schema.device_configs.c
    with db.begin() as conn:
        known = conn.execute(
            select(schema.devices.c.site).where(
                schema.devices.c.site == site, schema.devices.c.device == device
            )
        ).first()
        if known is None:
            raise UnknownDevice(f"{site}/{device}")
        latest = conn.execute(
            select(func.max(c.version)).where(c.site == site, c.device == device)
        ).scalar()
        version = (latest or 0) + 1
        conn.execute(
            schema.device_configs.insert().values(
                site=site,
                device=device,
                version=version,
                settings=settings.model_dump_json(),
                created_at=datetime.now(UTC).isoformat(),
            )
        )
    return version


def desired(db: Database, site: str, device: str) -> tuple[int, RemoteSettings] | None:
    c = schema.device_configs.c
    with db.engine.connect() as conn:
        row = conn.execute(
            select(c.version, c.settings)
            .where(c.site == site, c.device == device)
            .order_by(c.version.desc())
            .limit(1)
        ).first()
    return (row.version, RemoteSettings.model_validate_json(row.settings)) if row else None


def push_message(
    site: str, device: str, version: int, settings: RemoteSettings, secret: bytes
) -> bytes:
    push = ConfigPush(
        site=site, device=device, version=version, settings=settings, issued_at=datetime.now(UTC)
    )
    return encode_signed(push, secret)
