"""Dead-letter counts and retention in the database (the policy is central/ingest/).

A count row per sender, reason and UTC hour grows by upsert, so a flood from one device is
one row update per batch; retention deletes by age and keeps a bounded number of rows.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from central.storage import schema
from central.storage.text import clean_text


@dataclass(frozen=True, slots=True)
class DeadLetterCount:
    """Dead letters of one sender, reason and UTC hour, added to ``dead_letter_counts``."""

    site: str
    device: str
    reason: str
    hour: str
    count: int
    size: int  # payload bytes
    first_seen: str
    last_seen: str
    sample_topic: str
    sample: bytes


def add_dead_letter_counts(conn: Connection, counts: list[DeadLetterCount]) -> None:
    """Add to each (sender, reason, hour) row; the first copy of a key keeps its sample."""
    if not counts:
        return
    table = schema.dead_letter_counts
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["site", "device", "reason", "hour"],
        set_={
            "count": table.c.count + stmt.excluded.count,
            "bytes": table.c.bytes + stmt.excluded.bytes,
            "last_seen": stmt.excluded.last_seen,
        },
    )
    for c in counts:  # a handful per batch: one per flooding sender and reason
        conn.execute(
            stmt,
            {
                "site": clean_text(c.site, 64),
                "device": clean_text(c.device, 64),
                "reason": clean_text(c.reason, 64),
                "hour": c.hour,
                "count": c.count,
                "bytes": c.size,
                "first_seen": c.first_seen,
                "last_seen": c.last_seen,
                "sample_topic": clean_text(c.sample_topic, 256),
                "sample": c.sample[: schema.DEAD_LETTER_PAYLOAD_CAP],
            },
        )


def prune_dead_letters(engine: Engine, older_than: datetime, keep_rows: int) -> int:
    """Delete dead letters received before ``older_than``, then all but the newest
    ``keep_rows``. Returns how many rows went."""
    d = schema.dead_letters
    with engine.begin() as conn:
        cutoff = older_than.astimezone(UTC).isoformat()
        deleted = conn.execute(delete(d).where(d.c.received_at < cutoff)).rowcount or 0
        newest = conn.execute(
            select(d.c.id).order_by(d.c.id.desc()).offset(keep_rows).limit(1)
        ).scalar()
        if newest is not None:
            deleted += conn.execute(delete(d).where(d.c.id <= newest)).rowcount or 0
    return deleted


def prune_dead_letter_counts(engine: Engine, older_than: datetime) -> int:
    """Delete the count rows of hours before ``older_than``."""
    c = schema.dead_letter_counts
    hour = older_than.astimezone(UTC).strftime("%Y-%m-%dT%H")
    with engine.begin() as conn:
        return conn.execute(delete(c).where(c.c.hour < hour)).rowcount or 0
