"""The batching writer: validate, store one batch per transaction, then ack each device."""

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from central.ingest.checkers import CheckerPool, Pending
from central.ingest.dead_letters import DeadLetterLedger
from central.ingest.devices import DeviceDirectory
from central.ingest.limits import DeviceLimiter
from central.ingest.plausibility import PAST, UNKNOWN_WORKER, time_hold, unknown_workers
from central.ingest.validate import Inbound, Verified, validate
from central.metrics import IngestMetrics
from central.storage import Database
from central.storage.database import (
    TRANSIENT,
    DeadLetter,
    DeadLetterCount,
    DeviceStatus,
    Hold,
    RowsRefused,
    StorageUnavailable,
    StoredEvent,
)
from wireproto import Ack, AckResult, encode_ack
from wireproto.messages import AttendanceBody
from wireproto.topics import parse_topic

UNKNOWN_DEVICE = "unknown_device"  # wireproto/codec.py's reason for a device without a secret

log = logging.getLogger(__name__)

AckPublisher = Callable[[str, str, bytes], None]
# Told of the events a batch stored anew, after the commit and the acks (derived data: days).
AfterStore = Callable[[list[StoredEvent]], None]

STORE_FAILED = "store_failed"  # dead-letter reason: a signed event the database refuses


@dataclass
class Outcome:
    """What one batch came to: ids stored now, and the events the database refused."""

    inserted: set[str] = field(default_factory=set)
    refused_ids: set[str] = field(default_factory=set)  # dead-lettered, so never acked
    refused: int = 0  # messages the database would not take (events, statuses, dead letters)
    stored_before: set[str] = field(default_factory=set)  # late resends: duplicates, not dead
    late: list[DeadLetter] = field(default_factory=list)  # their refusals, answered duplicate


Checked = tuple[Inbound, Verified | DeadLetter]


class IngestWriter(threading.Thread):
    """Drains the queue in batches of up to ``batch_size`` or ``batch_wait`` seconds.

    Acks go out only after the batch's transaction committed. If the database is unreachable
    the batch is retried (nothing is acked, so gates keep their copies and resend anyway). If
    the database refuses a row (PostgreSQL takes no NUL in text, say), the batch is halved
    until that one message is found: it goes to the dead-letter table as ``store_failed``
    and is not acked (docs/protocol.md, section 10: its gate keeps it and resends it), so one
    bad event never holds up the events of every other gate.

    Dead letters go through a :class:`DeadLetterLedger` (a flood becomes a count), messages
    the consumer's :class:`DeviceLimiter` dropped are counted here too, and attendance that
    must not count is held (central/ingest/plausibility.py).

    With a :class:`CheckerPool`, the next batch is checked in worker processes while this
    one is stored and acked (a pipeline one batch deep: memory stays bounded by the queue
    plus two batches).
    """

    def __init__(
        self,
        db: Database,
        inbox: "queue.Queue[Inbound]",
        directory: DeviceDirectory,
        publish_ack: AckPublisher,
        *,
        batch_size: int = 500,
        batch_wait: float = 0.005,
        metrics: IngestMetrics | None = None,
        after_store: AfterStore | None = None,
        limiter: DeviceLimiter | None = None,
        dead_letter_rows_per_hour: int = 10,
        max_capture_age: timedelta = PAST,
        checkers: CheckerPool | None = None,
    ) -> None:
        super().__init__(name="ingest-writer", daemon=True)
        self.checkers = checkers
        self.after_store = after_store
        self.db = db
        self.inbox = inbox
        self.directory = directory
        self.publish_ack = publish_ack
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.metrics = metrics or IngestMetrics()
        self.metrics.watch_queue(inbox)
        self.stopping = threading.Event()
        self.limiter = limiter
        self.ledger = DeadLetterLedger(directory, dead_letter_rows_per_hour)
        self.max_capture_age = max_capture_age

    def stop(self) -> None:
        self.stopping.set()

    def _next_batch(self, wait: bool = True) -> list[Inbound]:
        try:
            batch = [self.inbox.get(timeout=0.2) if wait else self.inbox.get_nowait()]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_wait
        while len(batch) < self.batch_size:
            try:
                batch.append(self.inbox.get_nowait())
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(self.inbox.get(timeout=remaining))
                except queue.Empty:
                    break
        return batch

    def run(self) -> None:
        # Finish what is queued after stop() so a clean shutdown acks what it received.
        pending: Pending | None = None  # checked in the workers while the batch before it stores
        try:
            while not (self.stopping.is_set() and self.inbox.empty() and pending is None):
                # With a batch in the workers, never wait on an empty queue: store it now.
                batch = self._next_batch(wait=pending is None)
                ahead = self._submit(batch)
                if pending is not None:
                    self._finish(pending)
                    pending = None
                if ahead is not None:
                    pending = ahead
                elif batch:
                    self._process_with_retry(batch)
                self._store_drops()
        finally:
            if self.checkers is not None:
                self.checkers.close()

    def _submit(self, batch: list[Inbound]) -> Pending | None:
        if not batch or self.checkers is None:
            return None
        try:
            return self.checkers.submit(batch, datetime.now(UTC))
        except Exception:
            self.checkers.failed()
            return None

    def _finish(self, pending: Pending) -> None:
        """Store and ack a batch the workers checked (or check it here if they failed)."""
        try:
            checked = pending.results()
        except Exception:
            log.exception("checking a batch in the workers failed; checking it here")
            if self.checkers is not None:
                self.checkers.failed()
            self._process_with_retry(pending.batch)
            return
        self._process_with_retry(
            pending.batch, self._recheck_unknown(pending, checked), pending.now
        )

    def _recheck_unknown(
        self, pending: Pending, checked: list[Verified | DeadLetter]
    ) -> list[Verified | DeadLetter]:
        """What a worker called an unknown device is checked again with the writer's directory.

        Each worker process loaded its directory when it started and reloads at most once a
        second on a miss, so a gate provisioned just after that load would be dead-lettered
        there for up to a second; the writer's directory has its own reload clock, as before
        the workers existed. Unknown devices are rare, so this costs nothing in the bulk.
        """
        return [
            validate(msg, self.directory, pending.now)
            if isinstance(result, DeadLetter) and result.reason == UNKNOWN_DEVICE
            else result
            for msg, result in zip(pending.batch, checked, strict=True)
        ]

    def _store_drops(self) -> None:
        """Add what the limiter dropped to the dead-letter counts (one row per device-hour)."""
        if self.limiter is None:
            return
        drops = self.limiter.drain()
        if not drops:
            return
        counts = self.ledger.dropped(drops)
        self.metrics.rate_limited.inc(sum(c.count for c in counts))
        try:
            self.db.store([], [], datetime.now(UTC), dead_counts=counts)
        except Exception as exc:  # counts only: never worth holding up events for
            log.warning("could not store the rate-limit counts: %s", exc)

    def _process_with_retry(
        self,
        batch: list[Inbound],
        checked: list[Verified | DeadLetter] | None = None,
        now: datetime | None = None,
    ) -> None:
        delay = 0.1
        while True:
            try:
                self.process(batch, checked, now)
                return
            except Exception as exc:
                self.metrics.store_failures.inc()
                if self.stopping.is_set():
                    log.error("dropping an unacked batch of %d at shutdown: %s", len(batch), exc)
                    return
                if isinstance(exc, StorageUnavailable):
                    log.warning("database unavailable (%s); retrying in %.1fs", exc, delay)
                else:
                    log.exception(
                        "storing a batch of %d failed; retrying in %.1fs", len(batch), delay
                    )
                self.stopping.wait(delay)
                delay = min(delay * 2, 5.0)

    def process(
        self,
        batch: list[Inbound],
        results: Sequence[Verified | DeadLetter] | None = None,
        checked_at: datetime | None = None,
    ) -> None:
        """Validate, store and ack one batch; raises only when the whole batch must be retried.

        ``results``: the batch already validated (by the checker processes, at ``checked_at``).
        """
        self.metrics.batch_size.observe(len(batch))
        now = checked_at or datetime.now(UTC)
        if results is None:
            results = [validate(msg, self.directory, now) for msg in batch]
        checked: list[Checked] = list(zip(batch, results, strict=True))
        outcome = Outcome()
        try:
            checked = self._hold(checked, now)
            # A policy refusal (outside the replay window) of an id stored long ago is a plain
            # resend: answered ``duplicate`` and not dead-lettered, one outcome per message.
            outcome.stored_before = self.db.existing_event_ids(
                v.event_id for _m, v in checked if isinstance(v, DeadLetter) and v.event_id
            )
        except TRANSIENT as exc:
            raise StorageUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
        outcome.late = [
            v
            for _m, v in checked
            if isinstance(v, DeadLetter) and v.event_id in outcome.stored_before
        ]
        checked = [
            (m, v)
            for m, v in checked
            if not (isinstance(v, DeadLetter) and v.event_id in outcome.stored_before)
        ]
        keep, counts = self.ledger.split([v for _m, v in checked if isinstance(v, DeadLetter)], now)
        started = time.perf_counter()
        self._write(checked, outcome, {id(d) for d in keep}, counts)
        self.metrics.write_seconds.observe(time.perf_counter() - started)
        self._count(checked, outcome)
        refusals = [v for _m, v in checked if isinstance(v, DeadLetter) and v.event_id]
        self._ack([(m, v) for m, v in checked if isinstance(v, Verified)], outcome, refusals)
        self._after_store(checked, outcome)

    def _after_store(self, checked: Sequence[Checked], outcome: Outcome) -> None:
        """Derived data (attendance days) follows the stored events; its failure loses nothing.

        The events are committed and acked already; days are refreshed again at close and
        compute, so an error here is logged, never retried in the ingest path.
        """
        if self.after_store is None or not outcome.inserted:
            return
        new = [
            v.stored
            for _m, v in checked
            if isinstance(v, Verified)
            and v.stored is not None
            and v.stored.event_id in outcome.inserted
        ]
        try:
            self.after_store(new)
        except Exception:
            log.exception("refreshing derived data after a stored batch failed")

    def _hold(self, checked: list[Checked], now: datetime) -> list[Checked]:
        """Attendance with an implausible time or an unknown worker: evidence, not counted."""
        attendance = [
            v.envelope
            for _m, v in checked
            if isinstance(v, Verified) and v.stored and isinstance(v.envelope.body, AttendanceBody)
        ]
        if not attendance:
            return checked
        unknown = unknown_workers(self.db, attendance)
        result: list[Checked] = []
        for msg, v in checked:
            body = v.envelope.body if isinstance(v, Verified) else None
            if isinstance(v, Verified) and v.stored and isinstance(body, AttendanceBody):
                env = v.envelope
                hold = time_hold(env, now, self.max_capture_age)
                if hold is None and (env.site, body.worker_id) in unknown:
                    detail = f"no worker {body.worker_id} is registered"
                    hold = Hold(UNKNOWN_WORKER, detail, body.worker_id)
                if hold is not None:
                    self.metrics.held.labels(hold.reason).inc()
                    v = Verified(env, replace(v.stored, projection=None, held=hold))
            result.append((msg, v))
        return result

    def _write(
        self,
        checked: Sequence[Checked],
        outcome: Outcome,
        kept: set[int],
        counts: list[DeadLetterCount],
    ) -> None:
        """One transaction for ``checked``; on refusal, halve until the culprit is alone.

        Only the dead letters in ``kept`` get rows; ``counts`` (every dead letter of the
        batch) go with the first transaction that succeeds.
        """
        events: dict[str, Verified] = {}
        statuses: list[DeviceStatus] = []
        dead: list[DeadLetter] = []
        for _msg, v in checked:
            if isinstance(v, DeadLetter):
                if id(v) in kept:
                    dead.append(v)
            elif v.stored is None:
                env = v.envelope
                body = env.body.model_dump_json(exclude={"kind"})
                statuses.append(
                    DeviceStatus(env.site, env.device, body, env.created_at.isoformat())
                )
            else:
                events.setdefault(v.stored.event_id, v)  # a resend inside one batch
        try:
            results = self.db.store(
                [v.stored for v in events.values() if v.stored is not None],
                dead,
                datetime.now(UTC),
                statuses,
                counts,
            )
        except RowsRefused as exc:
            if len(checked) > 1:
                half = len(checked) // 2
                self._write(checked[:half], outcome, kept, counts)
                self._write(checked[half:], outcome, kept, [])
                return
            self._refuse(checked[0], str(exc), outcome, counts)
            return
        outcome.inserted.update(r.event_id for r in results if r.inserted)

    def _refuse(
        self, item: Checked, why: str, outcome: Outcome, counts: list[DeadLetterCount]
    ) -> None:
        """The one message the database will not take: keep its bytes, leave it unacked."""
        msg, v = item
        log.error("the database refuses a message on %s: %s", msg.topic, why)
        outcome.refused += 1
        if isinstance(v, Verified) and v.stored is not None:
            outcome.refused_ids.add(v.stored.event_id)
        if isinstance(v, DeadLetter):
            why = f"{v.reason}: {why}"
        self.db.store(
            [],
            [DeadLetter(msg.topic, STORE_FAILED, why, msg.payload)],
            datetime.now(UTC),
            dead_counts=counts,
        )

    def _count(self, checked: Sequence[Checked], outcome: Outcome) -> None:
        m = self.metrics
        now = datetime.now(UTC)
        reasons: dict[str, int] = defaultdict(int)
        statuses = 0
        for _msg, v in checked:
            if isinstance(v, DeadLetter):
                reasons[v.reason] += 1
                log.debug("dead letter on %s: %s %s", v.topic, v.reason, v.detail[:200])
            elif v.stored is None:
                statuses += 1
        for reason, n in reasons.items():
            m.dead_letters.labels(reason).inc(n)
        if reasons:
            # One line per batch: a flood of garbage must not become a flood of log lines.
            log.warning(
                "dead-lettered %d of %d messages: %s",
                sum(reasons.values()),
                len(checked),
                dict(reasons),
            )
        if outcome.refused:
            m.dead_letters.labels(STORE_FAILED).inc(outcome.refused)
        m.statuses.inc(statuses)
        kinds: dict[str, int] = defaultdict(int)
        counted: set[str] = set()  # a resend inside the batch is one stored event
        for _msg, v in checked:
            if not (isinstance(v, Verified) and v.stored):
                continue
            eid = v.stored.event_id
            if eid in outcome.inserted and eid not in counted:
                counted.add(eid)
                kinds[v.stored.kind] += 1
                m.lag.observe((now - v.envelope.created_at).total_seconds())
        for kind, n in kinds.items():
            m.stored.labels(kind).inc(n)

    @staticmethod
    def _answer_refusals(
        refusals: list[DeadLetter], per_device: dict[tuple[str, str], list[AckResult]]
    ) -> None:
        """Signed events refused by policy for good: ``rejected`` with the reason code."""
        for d in refusals:
            parts = parse_topic(d.topic)
            if parts is None or d.event_id is None:
                continue
            result = AckResult(id=d.event_id, result="rejected", reason=d.reason)
            per_device[(parts.site, parts.device)].append(result)

    def _ack(
        self,
        verified: list[tuple[Inbound, Verified]],
        outcome: Outcome,
        refusals: Sequence[DeadLetter] = (),
    ) -> None:
        per_device: dict[tuple[str, str], list[AckResult]] = defaultdict(list)
        first_seen: set[str] = set()
        duplicates = 0
        for _msg, v in verified:
            if v.stored is None:
                continue
            eid = v.stored.event_id
            if eid in outcome.refused_ids:
                continue  # dead-lettered: only stored events are acked
            if eid in outcome.inserted and eid not in first_seen:
                result = AckResult(id=eid, result="stored")
            else:
                result = AckResult(id=eid, result="duplicate")
                duplicates += 1
            first_seen.add(eid)
            per_device[(v.envelope.site, v.envelope.device)].append(result)
        self._answer_refusals(list(refusals), per_device)
        for d in outcome.late:
            parts = parse_topic(d.topic)
            if parts is not None and d.event_id is not None:
                per_device[(parts.site, parts.device)].append(
                    AckResult(id=d.event_id, result="duplicate")
                )
                duplicates += 1
        self.metrics.duplicates.inc(duplicates)
        now = datetime.now(UTC)
        for (site, device), acks in per_device.items():
            secret = self.directory(site, device)
            if secret is not None:
                self.publish_ack(site, device, encode_ack(Ack(acks=acks, at=now), secret))
                self.metrics.acks.inc()
