"""Secrets at rest: device HMAC secrets sealed, central's SQLite files 0600, /metrics guarded."""

import os
import stat
from pathlib import Path

import pytest
from factories import Gate, provision
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text

from central.api.app import create_app
from central.ingest.devices import DeviceDirectory
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from central.storage.migrate import upgrade

GATE = Gate("site-a", "gate-1")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_sqlite_file_and_its_wal_are_created_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: files would be world-readable by default
    try:
        path = tmp_path / "central.db"
        db = Database(str(path))
        db.upgrade()
        provision(db, GATE)  # a write: the WAL and shared-memory files exist now
        with db.engine.connect() as conn:  # keep a connection open so they are not removed
            conn.execute(text("SELECT 1"))
            files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        db.close()
    finally:
        os.umask(old)


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "central.db"
    Database(str(path)).upgrade()
    os.chmod(path, 0o644)
    Database(str(path)).close()
    assert mode(path) == 0o600


def test_device_secrets_are_sealed_and_only_the_directory_opens_them(database: Database) -> None:
    provision(database, GATE)
    columns = {c["name"] for c in inspect(database.engine).get_columns("devices")}
    assert "secret_hex" not in columns
    with database.engine.connect() as conn:
        (sealed,) = conn.execute(select(schema.devices.c.secret_sealed)).one()
    sealed = bytes(sealed)
    assert GATE.secret not in sealed and GATE.secret.hex().encode() not in sealed
    directory = DeviceDirectory(database)
    directory.reload()
    assert directory(GATE.site, GATE.device) == GATE.secret


def test_a_sealed_secret_copied_onto_another_device_does_not_open(database: Database) -> None:
    other = Gate("site-a", "gate-2")
    provision(database, GATE, other)
    d = schema.devices.c
    with database.begin() as conn:
        mine = conn.execute(select(d.secret_sealed).where(d.device == "gate-1")).scalar_one()
        conn.execute(schema.devices.update().where(d.device == "gate-2").values(secret_sealed=mine))
    directory = DeviceDirectory(database)
    directory.reload()
    assert directory(GATE.site, "gate-1") == GATE.secret
    assert directory(GATE.site, "gate-2") is None  # treated as unknown, never as gate-1


def _seal_on_upgrade(db: Database) -> None:
    upgrade(db.engine, "0007")
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO devices (site, device, secret_hex, created_at) "
                "VALUES (:s, :d, :h, :at)"
            ),
            {"s": GATE.site, "d": GATE.device, "h": GATE.secret.hex(), "at": "2026-01-01"},
        )
    db.upgrade()
    columns = {c["name"] for c in inspect(db.engine).get_columns("devices")}
    assert "secret_hex" not in columns and "secret_sealed" in columns
    directory = DeviceDirectory(db)
    directory.reload()
    assert directory(GATE.site, GATE.device) == GATE.secret


def test_the_migration_seals_existing_secrets_on_sqlite(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "old.db"))
    _seal_on_upgrade(db)
    db.close()


def test_the_migration_seals_existing_secrets_on_postgresql(own_postgres_url: str) -> None:
    db = Database(own_postgres_url)
    _seal_on_upgrade(db)
    db.close()


@pytest.fixture
def metrics_app(tmp_path: Path) -> CentralService:
    path = str(tmp_path / "central.db")
    Database(path).upgrade()
    return CentralService(
        CentralSettings(
            db=path,
            broker="mqtt://127.0.0.1:1",
            metrics_networks=["10.1.0.0/16"],
            metrics_token="s3cret-token-for-prometheus",
        )
    )


@pytest.mark.parametrize(
    ("client", "headers", "status"),
    [
        ("203.0.113.9", {}, 403),  # a stranger
        ("203.0.113.9", {"Authorization": "Bearer wrong"}, 403),
        ("203.0.113.9", {"Authorization": "Bearer s3cret-token-for-prometheus"}, 200),
        ("10.1.2.3", {}, 200),  # the allowed network
        ("127.0.0.1", {}, 403),  # loopback is only the default, not added to a chosen list
    ],
)
def test_metrics_answer_only_the_allowed_networks_or_the_token(
    metrics_app: CentralService, client: str, headers: dict[str, str], status: int
) -> None:
    app = create_app(metrics_app, manage_service=False)
    with TestClient(app, client=(client, 40000)) as http:
        resp = http.get("/metrics", headers=headers)
    assert resp.status_code == status
    if status == 200:
        assert "sitegate_ingest_received_total" in resp.text
    else:
        assert "sitegate_ingest" not in resp.text


def test_by_default_metrics_are_for_loopback_only(tmp_path: Path) -> None:
    service = CentralService(CentralSettings(db=str(tmp_path / "c.db"), broker="mqtt://x:1"))
    app = create_app(service, manage_service=False)
    with TestClient(app, client=("127.0.0.1", 1)) as local:
        assert local.get("/metrics").status_code == 200
    with TestClient(app, client=("192.168.1.20", 1)) as remote:
        assert remote.get("/metrics").status_code == 403
