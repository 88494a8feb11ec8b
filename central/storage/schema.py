"""Table definitions: the one description of the schema, used by queries and migrations.

Times are stored twice on purpose: as the ISO 8601 text the device sent (local time with its
UTC offset: evidence, exactly as captured) and as UTC microseconds since the epoch (for
ordering and range queries that behave the same on SQLite and PostgreSQL).
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

devices = Table(
    "devices",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("device", String(64), primary_key=True),
    Column("secret_hex", String(128), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("status", Text, nullable=True),  # last signed status body, JSON
    Column("status_at", String(40), nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("payload", Text, nullable=False),  # the signed JSON as received: evidence
    Index("ix_events_site_device_seq", "site", "device", "seq"),
)

attendance = Table(
    "attendance",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("worker_id", String(64), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("method", String(8), nullable=False),
    Column("distance", Float, nullable=True),
    Column("liveness", String(16), nullable=False),
    Column("captured_at", String(40), nullable=False),  # device local time with offset
    Column("captured_utc_us", BigInteger, nullable=False),
    Column("local_date", String(10), nullable=False),  # YYYY-MM-DD in the site's time
    Column("received_at", String(40), nullable=False),
    Index("ix_attendance_site_date", "site", "local_date"),
    Index("ix_attendance_worker_date", "worker_id", "local_date"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", String(40), nullable=False),
    Column("topic", String(256), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("detail", String(256), nullable=True),
    Column("payload", LargeBinary, nullable=False),  # capped at DEAD_LETTER_PAYLOAD_CAP
    Column("payload_size", Integer, nullable=False),
    Index("ix_dead_letters_reason", "reason"),
)

DEAD_LETTER_PAYLOAD_CAP = 16 * 1024
