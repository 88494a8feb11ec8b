"""What each device last reported applying: the acknowledgement of config and gallery pushes."""

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Executable, Table, select

from central.storage import Database, schema
from wireproto.commands import SyncReport


def upsert(
    db: Database, table: Table, keys: Mapping[str, object], values: Mapping[str, object]
) -> Executable:
    """INSERT … ON CONFLICT DO UPDATE on SQLite and PostgreSQL alike."""
    if db.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(table).values(**keys, **values)
        return pg.on_conflict_do_update(index_elements=list(keys), set_=dict(values))
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(table).values(**keys, **values)
    return lite.on_conflict_do_update(index_elements=list(keys), set_=dict(values))


def record(db: Database, report: SyncReport, received_at: datetime) -> None:
    values = {
        "config_version": report.config_version,
        "config_error": report.config_error,
        "config_rejected": report.config_rejected,
        "gallery_version": report.gallery_version,
        "reported_at": report.at.isoformat(),
        "received_at": received_at.isoformat(),
    }
    with db.begin() as conn:
        conn.execute(
            upsert(db, schema.device_sync, {"site": report.site, "device": report.device}, values)
        )


def state(db: Database, site: str, device: str) -> dict[str, object] | None:
    s = schema.device_sync
    with db.engine.connect() as conn:
        row = conn.execute(select(s).where(s.c.site == site, s.c.device == device)).first()
    return dict(row._mapping) if row else None


def site_devices(db: Database, site: str) -> list[tuple[str, int]]:
    """Devices of ``site`` that have reported, with the gallery version they hold."""
    s = schema.device_sync
    with db.engine.connect() as conn:
        rows = conn.execute(select(s.c.device, s.c.gallery_version).where(s.c.site == site))
        return [(r.device, r.gallery_version) for r in rows]
