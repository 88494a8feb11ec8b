"""The database handle: engine set-up per dialect, migrations, and the ingest write path."""

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, create_engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite

from central.storage import schema

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


@dataclass(frozen=True, slots=True)
class StoreResult:
    event_id: str
    inserted: bool  # False: the id was already stored (a resend)


class Database:
    """Owns the engine; every write is one transaction, committed before anything is acked."""

    def __init__(self, db: str, *, echo: bool = False) -> None:
        self.url = database_url(db)
        self.engine: Engine = create_engine(self.url, echo=echo, pool_pre_ping=True)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

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

    def _insert(self, table):  # type: ignore[no-untyped-def]
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        return dialect.insert(table)

    def store(
        self, stored: list[StoredEvent], dead: Iterable[DeadLetter], received_at: datetime
    ) -> list[StoreResult]:
        """Insert a batch idempotently in one transaction; report which ids were new.

        ``ON CONFLICT DO NOTHING ... RETURNING`` tells inserted from duplicate in the same
        statement, so two central instances racing on one resend still store it once.
        """
        now = received_at.isoformat()
        dead_rows = [
            {
                "received_at": now,
                "topic": d.topic[:256],
                "reason": d.reason[:64],
                "detail": d.detail[:256],
                "payload": d.payload[: schema.DEAD_LETTER_PAYLOAD_CAP],
                "payload_size": len(d.payload),
            }
            for d in dead
        ]
        with self.engine.begin() as conn:
            inserted: set[str] = set()
            if stored:
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
                stmt = (
                    self._insert(schema.events)
                    .on_conflict_do_nothing(index_elements=["event_id"])
                    .returning(schema.events.c.event_id)
                )
                inserted = set(conn.execute(stmt, rows).scalars())
                projected: dict[Table, list[dict[str, object]]] = defaultdict(list)
                for s in stored:
                    if s.projection is not None and s.event_id in inserted:
                        table, row = s.projection
                        projected[table].append({**row, "event_id": s.event_id, "received_at": now})
                for table, table_rows in projected.items():
                    conn.execute(table.insert(), table_rows)
            if dead_rows:
                conn.execute(schema.dead_letters.insert(), dead_rows)
        return [StoreResult(s.event_id, s.event_id in inserted) for s in stored]

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
        with self.engine.begin() as conn:
            conn.execute(
                schema.devices.update()
                .where(schema.devices.c.site == site, schema.devices.c.device == device)
                .values(status=status, status_at=at)
            )
