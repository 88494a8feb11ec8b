"""The durable outbox: an event exists on disk, signed, before anything acts on it.

sqlite-utils over one WAL database with ``synchronous=FULL``: a committed append survives
kill -9 and power loss. An event leaves the outbox only when central's signed ack for its id
arrives (a broker taking a QoS 1 message proves nothing: brokers drop queued messages).
Events central *rejects* are moved to a ``rejected`` table, kept for inspection, not resent.
"""

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlite_utils

from wireproto import AckResult, Envelope, encode_event, new_event_id, topics
from wireproto.messages import AttendanceBody, DustAlarmBody, DustReadingBody

EventBody = AttendanceBody | DustReadingBody | DustAlarmBody


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    event_id: str
    topic: str
    payload: bytes
    attempts: int


class Outbox:
    """Thread-safe: the gate appends while the uplink thread sends and settles."""

    def __init__(self, path: Path, site: str, device: str, secret: bytes, zone: ZoneInfo) -> None:
        self.site, self.device, self._secret, self._zone = site, device, secret, zone
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.Lock()
        self._create()

    def _create(self) -> None:
        self.db["outbox"].create(
            {
                "seq": int,
                "event_id": str,
                "kind": str,
                "topic": str,
                "payload": bytes,
                "created_at": str,
                "attempts": int,
                "next_attempt": float,
            },
            pk="seq",
            not_null={"event_id", "kind", "topic", "payload", "created_at"},
            defaults={"attempts": 0, "next_attempt": 0.0},
            if_not_exists=True,
        )
        self.db["outbox"].create_index(["event_id"], unique=True, if_not_exists=True)
        self.db["outbox"].create_index(["next_attempt"], if_not_exists=True)
        self.db["rejected"].create(
            {"seq": int, "event_id": str, "payload": bytes, "reason": str, "at": str},
            pk="seq",
            if_not_exists=True,
        )
        self.db["meta"].create({"key": str, "value": int}, pk="key", if_not_exists=True)

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """One IMMEDIATE transaction under the lock: one fsync per call, not per row."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _next_seq(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
        return (row[0] if row else 0) + 1

    def append(self, body: EventBody) -> Envelope:
        """Sign and persist one event; returns only after the commit is on disk."""
        with self._tx():
            seq = self._next_seq()
            envelope = Envelope(
                id=new_event_id(),
                site=self.site,
                device=self.device,
                seq=seq,
                created_at=datetime.now(self._zone),
                body=body,
            )
            self.db.execute(
                "INSERT INTO outbox (seq, event_id, kind, topic, payload, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    seq,
                    envelope.id,
                    body.kind,
                    topics.event_topic(self.site, self.device, body.kind),
                    encode_event(envelope, self._secret),
                    envelope.created_at.isoformat(),
                ],
            )
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES ('last_seq', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [seq],
            )
        return envelope

    def due(self, limit: int, now: float | None = None) -> list[Pending]:
        """Events never sent, or whose resend time has come, oldest first (order per device)."""
        now = time.time() if now is None else now
        with self._lock:
            rows = self.db.execute(
                "SELECT seq, event_id, topic, payload, attempts FROM outbox"
                " WHERE next_attempt <= ? ORDER BY seq LIMIT ?",
                [now, limit],
            ).fetchall()
        return [Pending(*r) for r in rows]

    def mark_sent(
        self, seqs: Iterable[int], first_resend_s: float, now: float | None = None
    ) -> None:
        """Schedule each resend with exponential backoff (capped at 5 minutes)."""
        now = time.time() if now is None else now
        with self._tx():
            self.db.conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1,"
                " next_attempt = ? + min(?, ? * (1 << min(attempts, 16))) WHERE seq = ?",
                [(now, 300.0, first_resend_s, s) for s in seqs],
            )

    def resend_all_now(self) -> None:
        """After a reconnect nothing waits out its backoff: the link is back, send again."""
        with self._lock:
            self.db.execute("UPDATE outbox SET next_attempt = 0 WHERE next_attempt > 0")

    def settle(self, results: Iterable[AckResult]) -> int:
        """Apply central's verdicts; returns how many events left the outbox."""
        done = [r.id for r in results if r.result in ("stored", "duplicate")]
        rejected = [r for r in results if r.result == "rejected"]
        removed = 0
        with self._tx():
            for r in rejected:
                self.db.execute(
                    "INSERT INTO rejected (seq, event_id, payload, reason, at)"
                    " SELECT seq, event_id, payload, ?, ? FROM outbox WHERE event_id = ?",
                    [r.reason or "", datetime.now(self._zone).isoformat(), r.id],
                )
            for eid in done + [r.id for r in rejected]:
                removed += self.db.execute("DELETE FROM outbox WHERE event_id = ?", [eid]).rowcount
        return removed

    def depth(self) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def in_flight(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self._lock:
            return self.db.execute(
                "SELECT count(*) FROM outbox WHERE attempts > 0 AND next_attempt > ?", [now]
            ).fetchone()[0]

    def close(self) -> None:
        self.db.conn.close()
