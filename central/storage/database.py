"""The database handle: engine set-up per dialect, migrations, and the ingest write path."""

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, bindparam, create_engine, event, select, text
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from central.storage import schema
from central.storage.bulk import insert_rows

log = logging.getLogger(__name__)


def database_url(db: str) -> str:
    """Accept a plain file path (SQLite, the embedded default) or any SQLAlchemy URL."""
    if "://" in db:
        if db.startswith("postgresql://"):
            return "postgresql+psycopg://" + db.removeprefix("postgresql://")
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the API read while ingest writes; synchronous=FULL makes a commit survive
    # power loss, which is what an ack promises the gate.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


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


def clean_text(value: str, limit: int) -> str:
    """Text every engine accepts: PostgreSQL refuses NUL, no driver encodes a lone surrogate."""
    value = value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return value[:limit]


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
        self.url = database_url(db)
        # A bounded connect: /healthz must answer "database down", not hang with the server.
        connect_args = {"connect_timeout": 5} if self.url.startswith("postgresql") else {}
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

        upgrade(self.engine)

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
            if s.projection is not None and s.event_id in inserted:
                table, row = s.projection
                projected[table].append({**row, "event_id": s.event_id, "received_at": now})
        for table, table_rows in projected.items():
            insert_rows(conn, table, table_rows)
        return inserted

    def existing_event_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are stored already (a late resend of an old event is a duplicate)."""
        wanted = list(ids)
        if not wanted:
            return set()
        with self.engine.connect() as conn:
            c = schema.events.c.event_id
            return set(conn.execute(select(c).where(c.in_(wanted))).scalars())

    def add_device(self, site: str, device: str, secret_hex: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                schema.devices.insert().values(
                    site=site,
                    device=device,
                    secret_hex=secret_hex,
                    created_at=datetime.now(UTC).isoformat(),
                )
            )

    def device_secrets(self) -> dict[tuple[str, str], bytes]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(schema.devices.c.site, schema.devices.c.device, schema.devices.c.secret_hex)
            )
            return {(r.site, r.device): bytes.fromhex(r.secret_hex) for r in rows}

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
