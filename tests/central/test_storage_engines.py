"""The storage layer on both engines: idempotent batches, dead letters, failures by kind."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from factories import Gate, provision
from sqlalchemy import func, select

from central.ingest.validate import Verified, validate
from central.storage import Database, schema
from central.storage.database import (
    DeadLetter,
    DeviceStatus,
    RowsRefused,
    StorageUnavailable,
    StoredEvent,
)
from central.storage.migrate import alembic_config
from conftest import free_port, run_cli

INGEST_TABLES = {"devices", "events", "attendance", "dead_letters"}


def stored(db: Database, gate: Gate, *messages: object) -> list[StoredEvent]:
    """Messages through validation, as the writer sees them."""
    secrets = {(gate.site, gate.device): gate.secret}
    out = []
    for msg in messages:
        v = validate(msg, lambda s, d: secrets.get((s, d)))  # type: ignore[arg-type]
        assert isinstance(v, Verified) and v.stored is not None, v
        out.append(v.stored)
    return out


def count(db: Database, table: object) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]


def test_a_batch_is_stored_once_however_often_it_comes(database: Database) -> None:
    gate = Gate("site-a", "gate-1")
    provision(database, gate)
    e1, e2, e3 = stored(database, gate, gate.attendance("W1"), gate.attendance("W2"), gate.dust())
    now = datetime.now(UTC)

    first = database.store([e1, e2], [], now)
    again = database.store([e2, e3, e1], [], now)

    assert [(r.event_id, r.inserted) for r in first] == [(e1.event_id, True), (e2.event_id, True)]
    assert [(r.event_id, r.inserted) for r in again] == [
        (e2.event_id, False),
        (e3.event_id, True),
        (e1.event_id, False),
    ]
    assert count(database, schema.events) == 3
    # A projection row is written only with a new event, never for a resend.
    assert count(database, schema.attendance) == 2
    with database.engine.connect() as conn:
        payload = conn.execute(
            select(schema.events.c.payload).where(schema.events.c.event_id == e1.event_id)
        ).scalar_one()
    assert payload == e1.payload  # the signed bytes as received: evidence


def test_dead_letters_keep_capped_bytes_and_text_every_engine_takes(database: Database) -> None:
    huge = os.urandom(100_000)
    detail = "bad\x00key \udc80 " + "x" * 1000
    database.store(
        [],
        [DeadLetter("sitegate/v1/s/d/events/x", "invalid_schema", detail, huge)],
        datetime.now(UTC),
    )

    with database.engine.connect() as conn:
        row = conn.execute(select(schema.dead_letters)).one()
    assert row.payload == huge[: schema.DEAD_LETTER_PAYLOAD_CAP]
    assert row.payload_size == 100_000
    assert row.detail.startswith("bad\\x00key \\udc80 ") and len(row.detail) == 256
    assert row.reason == "invalid_schema"


def test_device_status_is_written_with_the_batch(database: Database) -> None:
    gate = Gate("site-a", "gate-1")
    provision(database, gate)
    (event,) = stored(database, gate, gate.attendance())
    status = DeviceStatus("site-a", "gate-1", '{"state":"online"}', "2025-03-03T07:00:00+08:00")

    database.store([event], [], datetime.now(UTC), [status])

    (device,) = database.list_devices()
    assert device["status"] == {"state": "online"}
    assert device["status_at"] == "2025-03-03T07:00:00+08:00"


def test_a_value_postgresql_cannot_hold_is_refused_not_retried(database: Database) -> None:
    """NUL is valid JSON ("\\u0000") and SQLite stores it; PostgreSQL text cannot."""
    gate = Gate("site-a", "gate-1")
    provision(database, gate)
    (event,) = stored(database, gate, gate.dust(sensor="pm\x00one"))
    if database.dialect == "postgresql":
        with pytest.raises(RowsRefused):
            database.store([event], [], datetime.now(UTC))
        assert count(database, schema.events) == 0  # the transaction left nothing behind
    else:
        assert database.store([event], [], datetime.now(UTC))[0].inserted


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(lambda tmp: f"postgresql://postgres@127.0.0.1:{free_port()}/x", id="pg-down"),
        pytest.param(lambda tmp: str(tmp / "missing-dir" / "central.db"), id="sqlite-no-dir"),
    ],
)
def test_an_unreachable_database_is_unavailable_not_refused(url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = Database(url(tmp_path))
    dead = DeadLetter("t", "malformed_json", "", b"x")
    with pytest.raises(StorageUnavailable):
        db.store([], [dead], datetime.now(UTC))


def head_revision(db: Database) -> str:
    heads = ScriptDirectory.from_config(alembic_config(db.engine)).get_heads()
    assert len(heads) == 1, f"migrations must form one line, heads: {heads}"
    return heads[0]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_db_upgrade_brings_an_empty_database_to_the_schema(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """`sitegate-central db upgrade` twice; then the ingest tables match schema.py exactly."""
    if engine == "sqlite":
        url = str(tmp_path / "fresh.db")
    else:
        url = request.getfixturevalue("own_postgres_url")
    _upgrade_and_compare(url)


def _upgrade_and_compare(url: str) -> None:
    for _ in range(2):
        result = run_cli("sitegate-central", "db", "upgrade", "--db", url)
    db = Database(url)
    assert result.stdout.strip() == f"schema at revision {head_revision(db)}"
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    ours = [d for d in diffs if _table_of(d) in INGEST_TABLES]
    assert ours == []
    db.close()


def _table_of(diff: object) -> str | None:
    """The table an alembic diff entry is about (an entry is a tuple, or a list of tuples)."""
    op, *args = diff[0] if isinstance(diff, list) else diff  # type: ignore[index,misc]
    if op.endswith("_table") or op.endswith("_table_comment"):
        return args[0].name
    if op.split("_", 1)[1] in ("index", "constraint", "fk"):
        return args[0].table.name
    return args[1] if len(args) > 1 and isinstance(args[1], str) else None
