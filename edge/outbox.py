"""The durable outbox: an event exists on disk, signed, before anything acts on it.

sqlite-utils over one WAL database with ``synchronous=FULL``: a committed append survives
kill -9 and power loss. An event leaves the outbox only when central's signed ack for its id
arrives (a broker taking a QoS 1 message proves nothing: brokers drop queued messages).
Events central *rejects* are moved to a ``rejected`` table, kept for inspection, not resent.

The outbox is bounded (``max_events``): a gate offline for months must not fill its disk and
stop recording. When it is full, a new event evicts the oldest event of the least valuable
kind present (dust readings, then dust alarms), never one more valuable than itself, and
**never attendance**: when only attendance is left, the new event is refused (``OutboxFull``)
and the gate keeps its turnstile closed rather than forget who already passed. From 90 %
the outbox reports ``near_full`` in the device status, an alarm for the supervisor.
"""

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from edge.durable_sqlite import open_durable
from firmware_config import GateConfig
from wireproto import AckResult, Envelope, encode_event, new_event_id, topics
from wireproto.messages import AttendanceBody, DustAlarmBody, DustReadingBody

EventBody = AttendanceBody | DustReadingBody | DustAlarmBody

# Eviction order when full: lowest first. Kinds not listed (attendance) are never evicted.
EVICTION_ORDER = ("dust_reading", "dust_alarm")
NEAR_FULL = 0.9
DEFAULT_MAX_EVENTS = 100_000

log = logging.getLogger(__name__)


class OutboxFull(Exception):
    """The outbox is full of events that may not be evicted; the new event was not written."""


def _rank(kind: str) -> int:
    return EVICTION_ORDER.index(kind) if kind in EVICTION_ORDER else len(EVICTION_ORDER)


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    event_id: str
    topic: str
    payload: bytes
    attempts: int


class Outbox:
    """Thread-safe: the gate appends while the uplink thread sends and settles."""

    def __init__(
        self,
        path: Path,
        site: str,
        device: str,
        secret: bytes,
        zone: ZoneInfo,
        max_events: int = DEFAULT_MAX_EVENTS,
    ) -> None:
        self.site, self.device, self._secret, self._zone = site, device, secret, zone
        self.max_events = max_events
        self.db = open_durable(path)
        self._lock = threading.Lock()
        self._create()
        self._depth = self.db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        self._alarmed = False
        self._evictions = 0

    @classmethod
    def for_gate(cls, config: GateConfig) -> "Outbox":
        """The outbox a gate config names, opened as the device opens it (test gates reuse it)."""
        return cls(
            config.outbox,
            config.site,
            config.device,
            config.secret_bytes,
            config.zone,
            max_events=config.outbox_max_events,
        )

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
        self.db["outbox"].create_index(["kind", "seq"], if_not_exists=True)
        self.db["evicted"].create(
            {"seq": int, "event_id": str, "kind": str, "created_at": str, "evicted_at": str},
            pk="seq",
            if_not_exists=True,
        )
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
            depth = self._depth
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.conn.in_transaction:
                    self.db.execute("ROLLBACK")
                self._depth = depth  # the in-memory count follows the database
                raise

    def _next_seq(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
        return (row[0] if row else 0) + 1

    def _make_room(self, kind: str) -> None:
        """Evict one event ranked at or below ``kind``, oldest first; OutboxFull if none."""
        for victim_kind in EVICTION_ORDER[: _rank(kind) + 1]:
            row = self.db.execute(
                "SELECT seq, event_id, created_at FROM outbox WHERE kind = ? ORDER BY seq LIMIT 1",
                [victim_kind],
            ).fetchone()
            if row is None:
                continue
            self.db.execute(
                "INSERT INTO evicted (seq, event_id, kind, created_at, evicted_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [row[0], row[1], victim_kind, row[2], datetime.now(self._zone).isoformat()],
            )
            self.db.execute("DELETE FROM outbox WHERE seq = ?", [row[0]])
            self._depth -= 1
            self._evictions += 1
            if self._evictions % 1000 == 1:  # a full outbox evicts on every append: log a few
                log.warning(
                    "outbox full: evicted %s seq %d for a new %s (%d evicted since start)",
                    victim_kind,
                    row[0],
                    kind,
                    self._evictions,
                )
            return
        raise OutboxFull(
            f"outbox holds {self._depth} events that may not be evicted; {kind} not written"
        )

    def append(self, body: EventBody) -> Envelope:
        """Sign and persist one event; returns only after the commit is on disk.

        Raises OutboxFull (nothing written) when the bound is reached and no event of a
        lower or equal rank can make room.
        """
        with self._tx():
            if self._depth >= self.max_events:
                self._make_room(body.kind)
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
            self._depth += 1
        self._check_alarm()
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
            self._depth -= removed
        self._check_alarm()
        return removed

    def depth(self) -> int:
        return self._depth

    def pressure(self) -> str:
        """``ok``, ``near_full`` (from 90 %) or ``full``: the outbox alarm in the status."""
        if self._depth >= self.max_events:
            return "full"
        return "near_full" if self._depth >= NEAR_FULL * self.max_events else "ok"

    def _check_alarm(self) -> None:
        alarmed = self.pressure() != "ok"
        if alarmed != self._alarmed:
            self._alarmed = alarmed
            if alarmed:
                log.error(
                    "outbox %s: %d of %d events", self.pressure(), self._depth, self.max_events
                )
            else:
                log.info("outbox back below %d%% of capacity", int(NEAR_FULL * 100))

    def evicted_count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM evicted").fetchone()[0]

    def in_flight(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self._lock:
            return self.db.execute(
                "SELECT count(*) FROM outbox WHERE attempts > 0 AND next_attempt > ?", [now]
            ).fetchone()[0]

    def close(self) -> None:
        self.db.conn.close()
