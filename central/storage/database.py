"""The database handle: engine set-up per dialect, migrations, and the ingest write path."""

import json
import logging
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from central.storage import days_pending, presence, schema
from central.storage.bulk import insert_rows
from central.storage.dead_letter_store import DeadLetterCount, add_dead_letter_counts
from central.storage.text import clean_text

if TYPE_CHECKING:
    from central.registry.sealing import Sealer

log = logging.getLogger(__name__)


def database_url(db: str) -> str:
    """Accept a plain file path (SQLite, the embedded default) or any SQLAlchemy URL."""
    if "://" in db:
        if db.startswith("postgresql://"):
            return "postgresql+psycopg://" + db.removeprefix("postgresql://")
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def _private_sqlite_file(url: str) -> None:
    """Create central's SQLite file 0600 before SQLite does, and tighten an existing one.

    The file holds sealed secrets and personal data; SQLite gives its ``-wal`` and ``-shm``
    files the database file's permissions, so owner-only here is owner-only for all three.
    """
    path = url.removeprefix("sqlite:///")
    if not url.startswith("sqlite:///") or path in ("", ":memory:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError:
        return  # a directory we cannot write: SQLite reports the real problem
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except OSError:
            continue


def device_secret_context(site: str, device: str) -> str:
    """Binds a sealed device secret to its device, so a row's secret cannot be moved."""
    return f"device_secret:{site}/{device}"


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # WAL lets the API read while ingest writes; synchronous=FULL makes a commit survive
    # power loss, which is what an ack promises the gate.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


@dataclass(frozen=True, slots=True)
class Hold:
    """Why a verified event is kept as evidence but not projected (not counted)."""

    reason: str  # implausible_time | unknown_worker
    detail: str
    worker_id: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One verified event ready for the write path."""

    event_id: str
    site: str
    device: str
    seq: int
    kind: str
    created_at: str
    payload: str
    projection: tuple[Table, dict[str, object]] | None = None  # see central.ingest.projections
    held: Hold | None = None  # set: a held_events row instead of the projection


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    reason: str
    detail: str
    payload: bytes
    event_id: str | None = None
    """Set when the signature verified but policy refused it (e.g. outside the replay
    window): central may then answer the device, which a forged message never earns."""


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A device's last signed status body (JSON), applied in the same transaction as events."""

    site: str
    device: str
    status: str
    at: str


class StorageUnavailable(Exception):
    """The database could not be reached or could not commit now; the same batch may pass later."""


class RowsRefused(Exception):
    """The database refuses this batch's content (a value it cannot hold): retrying won't help."""


# Connection lost, server gone, locked, deadlock, disk full, pool exhausted: wait and retry.
TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
# A value the database cannot hold (NUL in PostgreSQL text, a lone surrogate, a constraint).
REFUSED = (DBAPIError, UnicodeError)


def dead_letter_row(d: "DeadLetter", received_at: str) -> dict[str, object]:
    return {
        "received_at": received_at,
        "topic": clean_text(d.topic, 256),
        "reason": clean_text(d.reason, 64),
        "detail": clean_text(d.detail, 256),
        "payload": d.payload[: schema.DEAD_LETTER_PAYLOAD_CAP],
        "payload_size": len(d.payload),
    }


@dataclass(frozen=True, slots=True)
class StoreResult:
    event_id: str
    inserted: bool  # False: the id was already stored (a resend)


class Database:
    """Owns the engine; every write is one transaction, committed before anything is acked."""

    def __init__(self, db: str, *, echo: bool = False) -> None:
        self.source = db
        self.url = database_url(db)
        _private_sqlite_file(self.url)
        # A bounded connect: /healthz must answer "database down", not hang with the server.
        # Custom plans always: psycopg prepares a statement run five times, and PostgreSQL's
        # generic plan for it cannot hash ``= ANY(:projects)`` (central/storage/project_scope.py)
        # and compares every row with every project of a province (twice the overview's time).
        connect_args: dict[str, object] = (
            {"connect_timeout": 5, "options": "-c plan_cache_mode=force_custom_plan"}
            if self.url.startswith("postgresql")
            else {}
        )
        self.engine: Engine = create_engine(
            self.url, echo=echo, pool_pre_ping=True, connect_args=connect_args
        )
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        d = schema.devices
        self._status_update = (
            d.update()
            .where(d.c.site == bindparam("k_site"), d.c.device == bindparam("k_device"))
            .values(status=bindparam("status"), status_at=bindparam("status_at"))
        )

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (also run at every start)."""
        from central.storage.migrate import upgrade

        upgrade(self.engine, sealer=lambda: self.sealer)

    @property
    def sealer(self) -> "Sealer":
        """The data-key sealer of this database (its key file; see registry/sealing.py)."""
        from central.registry.sealing import sealer_for  # crypto only, no service logic

        return sealer_for(self.source)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def store(
        self,
        stored: list[StoredEvent],
        dead: Iterable[DeadLetter],
        received_at: datetime,
        statuses: Iterable[DeviceStatus] = (),
        dead_counts: Iterable[DeadLetterCount] = (),
    ) -> list[StoreResult]:
        """Insert a batch idempotently in one transaction; report which ids were new.

        ``ON CONFLICT DO NOTHING ... RETURNING`` tells inserted from duplicate in the same
        statement, so two central instances racing on one resend still store it once.
        Raises :class:`StorageUnavailable` when trying again may work and
        :class:`RowsRefused` when this content never will, so the caller knows whether to
        wait or to find the offending row.
        """
        now = received_at.isoformat()
        dead_rows = [dead_letter_row(d, now) for d in dead]
        status_rows = [
            {"k_site": st.site, "k_device": st.device, "status": st.status, "status_at": st.at}
            for st in statuses
        ]
        try:
            with self.engine.begin() as conn:
                inserted = self._insert_events(conn, stored, now) if stored else set()
                if dead_rows:
                    conn.execute(schema.dead_letters.insert(), dead_rows)
                if status_rows:
                    conn.execute(self._status_update, status_rows)
                add_dead_letter_counts(conn, list(dead_counts))
        except TRANSIENT as exc:
            raise StorageUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
        except REFUSED as exc:
            if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                raise StorageUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
            raise RowsRefused(f"{type(exc).__name__}: {exc}"[:300]) from exc
        return [StoreResult(s.event_id, s.event_id in inserted) for s in stored]

    def _insert_events(self, conn: Connection, stored: list[StoredEvent], now: str) -> set[str]:
        rows = [
            {
                "event_id": s.event_id,
                "site": s.site,
                "device": s.device,
                "seq": s.seq,
                "kind": s.kind,
                "created_at": s.created_at,
                "received_at": now,
                "payload": s.payload,
            }
            for s in stored
        ]
        inserted = set(
            insert_rows(
                conn, schema.events, rows, skip_conflicts_on="event_id", returning="event_id"
            )
        )
        projected: dict[Table, list[dict[str, object]]] = defaultdict(list)
        for s in stored:
            if s.event_id not in inserted:
                continue
            if s.held is not None:
                projected[schema.held_events].append(
                    {
                        "event_id": s.event_id,
                        "site": s.site,
                        "device": s.device,
                        "kind": s.kind,
                        "worker_id": s.held.worker_id,
                        "reason": s.held.reason,
                        "detail": clean_text(s.held.detail, 256),
                        "received_at": now,
                    }
                )
            elif s.projection is not None:
                table, row = s.projection
                projected[table].append({**row, "event_id": s.event_id, "received_at": now})
        for table, table_rows in projected.items():
            insert_rows(conn, table, table_rows)
        attendance = projected.get(schema.attendance)
        if attendance:
            # who was on site: counted with the events, so no crash between this commit and a
            # later step can lose a worker from the day's count (central/storage/presence.py)
            presence.add(
                conn,
                ((str(r["site"]), str(r["worker_id"]), str(r["local_date"])) for r in attendance),
            )
            # their days may be stale until the refresh after this commit clears the mark
            days_pending.mark(
                conn,
                days_pending.token_of(str(r["event_id"]) for r in attendance),
                ((str(r["site"]), str(r["local_date"])) for r in attendance),
            )
        return inserted

    def existing_event_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are stored already (a late resend of an old event is a duplicate)."""
        wanted = list(ids)
        if not wanted:
            return set()
        with self.engine.connect() as conn:
            c = schema.events.c.event_id
            return set(conn.execute(select(c).where(c.in_(wanted))).scalars())

    def count_rows(self, table: Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def add_device(self, site: str, device: str, secret_hex: str) -> None:
        """Provision a device; its secret is stored sealed under the data key, never clear."""
        sealed = self.sealer.seal(bytes.fromhex(secret_hex), device_secret_context(site, device))
        with self.engine.begin() as conn:
            conn.execute(
                schema.devices.insert().values(
                    site=site,
                    device=device,
                    secret_sealed=sealed,
                    created_at=datetime.now(UTC).isoformat(),
                )
            )

    def sealed_device_secrets(self) -> dict[tuple[str, str], bytes]:
        """Every device's sealed secret; :class:`central.ingest.devices.DeviceDirectory` opens
        them once per reload, so the clear secrets live only in central's memory."""
        d = schema.devices.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(d.site, d.device, d.secret_sealed))
            return {(r.site, r.device): bytes(r.secret_sealed) for r in rows}

    def list_devices(self) -> list[dict[str, object]]:
        cols = schema.devices.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(cols.site, cols.device, cols.created_at, cols.status, cols.status_at)
            )
            return [
                {**r._asdict(), "status": json.loads(r.status) if r.status else None} for r in rows
            ]

    def set_device_status(self, site: str, device: str, status: str, at: str) -> None:
        self.store([], [], datetime.now(UTC), [DeviceStatus(site, device, status, at)])
