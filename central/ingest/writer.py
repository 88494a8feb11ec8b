"""The batching writer: validate, store one batch per transaction, then ack each device."""

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from central.ingest.devices import DeviceDirectory
from central.ingest.validate import Inbound, Verified, validate
from central.metrics import IngestMetrics
from central.storage import Database
from central.storage.database import DeadLetter, DeviceStatus, RowsRefused, StorageUnavailable
from wireproto import Ack, AckResult, encode_ack
from wireproto.topics import parse_topic

log = logging.getLogger(__name__)

AckPublisher = Callable[[str, str, bytes], None]

STORE_FAILED = "store_failed"  # dead-letter reason: a signed event the database refuses


@dataclass
class Outcome:
    """What one batch came to: ids stored now, and the events the database refused."""

    inserted: set[str] = field(default_factory=set)
    refused_ids: set[str] = field(default_factory=set)  # dead-lettered, so never acked
    refused: int = 0  # messages the database would not take (events, statuses, dead letters)


Checked = tuple[Inbound, Verified | DeadLetter]


class IngestWriter(threading.Thread):
    """Drains the queue in batches of up to ``batch_size`` or ``batch_wait`` seconds.

    Acks go out only after the batch's transaction committed. If the database is unreachable
    the batch is retried (nothing is acked, so gates keep their copies and resend anyway). If
    the database refuses a row (PostgreSQL takes no NUL in text, say), the batch is halved
    until that one message is found: it goes to the dead-letter table as ``store_failed``
    and is not acked (docs/protocol.md, section 10: its gate keeps it and resends it), so one
    bad event never holds up the events of every other gate.
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
    ) -> None:
        super().__init__(name="ingest-writer", daemon=True)
        self.db = db
        self.inbox = inbox
        self.directory = directory
        self.publish_ack = publish_ack
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.metrics = metrics or IngestMetrics()
        self.metrics.watch_queue(inbox)
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def _next_batch(self) -> list[Inbound]:
        try:
            batch = [self.inbox.get(timeout=0.2)]
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
        while not (self.stopping.is_set() and self.inbox.empty()):
            batch = self._next_batch()
            if batch:
                self._process_with_retry(batch)

    def _process_with_retry(self, batch: list[Inbound]) -> None:
        delay = 0.1
        while True:
            try:
                self.process(batch)
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

    def process(self, batch: list[Inbound]) -> None:
        """Validate, store and ack one batch; raises only when the whole batch must be retried."""
        self.metrics.batch_size.observe(len(batch))
        now = datetime.now(UTC)
        checked: list[Checked] = [(msg, validate(msg, self.directory, now)) for msg in batch]
        started = time.perf_counter()
        outcome = Outcome()
        self._write(checked, outcome)
        self.metrics.write_seconds.observe(time.perf_counter() - started)
        self._count(checked, outcome)
        refusals = [v for _m, v in checked if isinstance(v, DeadLetter) and v.event_id]
        self._ack([(m, v) for m, v in checked if isinstance(v, Verified)], outcome, refusals)

    def _write(self, checked: Sequence[Checked], outcome: Outcome) -> None:
        """One transaction for ``checked``; on refusal, halve until the culprit is alone."""
        events: dict[str, Verified] = {}
        statuses: list[DeviceStatus] = []
        dead: list[DeadLetter] = []
        for _msg, v in checked:
            if isinstance(v, DeadLetter):
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
            )
        except RowsRefused as exc:
            if len(checked) > 1:
                half = len(checked) // 2
                self._write(checked[:half], outcome)
                self._write(checked[half:], outcome)
                return
            self._refuse(checked[0], str(exc), outcome)
            return
        outcome.inserted.update(r.event_id for r in results if r.inserted)

    def _refuse(self, item: Checked, why: str, outcome: Outcome) -> None:
        """The one message the database will not take: keep its bytes, leave it unacked."""
        msg, v = item
        log.error("the database refuses a message on %s: %s", msg.topic, why)
        outcome.refused += 1
        if isinstance(v, Verified) and v.stored is not None:
            outcome.refused_ids.add(v.stored.event_id)
        if isinstance(v, DeadLetter):
            why = f"{v.reason}: {why}"
        self.db.store(
            [], [DeadLetter(msg.topic, STORE_FAILED, why, msg.payload)], datetime.now(UTC)
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

    def _answer_refusals(
        self, refusals: list[DeadLetter], per_device: dict[tuple[str, str], list[AckResult]]
    ) -> None:
        """Signed events refused by policy: ``duplicate`` if stored before, else ``rejected``."""
        if not refusals:
            return
        stored = self.db.existing_event_ids(d.event_id for d in refusals if d.event_id)
        for d in refusals:
            parts = parse_topic(d.topic)
            if parts is None or d.event_id is None:
                continue
            if d.event_id in stored:
                result = AckResult(id=d.event_id, result="duplicate")
            else:
                result = AckResult(id=d.event_id, result="rejected", reason=d.reason)
            per_device[(parts.site, parts.device)].append(result)

    def _ack(
        self,
        verified: list[tuple[Inbound, Verified]],
        outcome: Outcome,
        refusals: list[DeadLetter] = (),  # type: ignore[assignment]
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
        self.metrics.duplicates.inc(duplicates)
        now = datetime.now(UTC)
        for (site, device), acks in per_device.items():
            secret = self.directory(site, device)
            if secret is not None:
                self.publish_ack(site, device, encode_ack(Ack(acks=acks, at=now), secret))
                self.metrics.acks.inc()
