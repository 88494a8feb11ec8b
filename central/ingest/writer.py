"""The batching writer: validate, store one batch per transaction, then ack each device."""

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from central.ingest.devices import DeviceDirectory
from central.ingest.validate import Inbound, Verified, validate
from central.storage import Database
from central.storage.database import DeadLetter, StoredEvent
from wireproto import Ack, AckResult, encode_ack

log = logging.getLogger(__name__)

AckPublisher = Callable[[str, str, bytes], None]


class IngestWriter(threading.Thread):
    """Drains the queue in batches of up to ``batch_size`` or ``batch_wait`` seconds.

    Acks go out only after the batch's transaction committed. If the database fails, the
    batch is retried (nothing is acked, so gates keep their copies and resend anyway).
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
    ) -> None:
        super().__init__(name="ingest-writer", daemon=True)
        self.db = db
        self.inbox = inbox
        self.directory = directory
        self.publish_ack = publish_ack
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.stopping = threading.Event()
        self.counts: dict[str, int] = defaultdict(int)

    def stop(self) -> None:
        self.stopping.set()

    def _next_batch(self) -> list[Inbound]:
        try:
            first = self.inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_wait
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self.inbox.get(timeout=max(remaining, 0))
                    if remaining > 0
                    else self.inbox.get_nowait()
                )
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
            except Exception:
                if self.stopping.is_set():
                    log.exception("dropping an unacked batch of %d at shutdown", len(batch))
                    return
                log.exception("storing a batch of %d failed; retrying in %.1fs", len(batch), delay)
                self.stopping.wait(delay)
                delay = min(delay * 2, 5.0)

    def process(self, batch: list[Inbound]) -> None:
        verified: list[Verified] = []
        dead: list[DeadLetter] = []
        for msg in batch:
            outcome = validate(msg, self.directory)
            (dead if isinstance(outcome, DeadLetter) else verified).append(outcome)
        events: dict[str, StoredEvent] = {}
        for v in verified:
            if v.stored is None:
                self._record_status(v)
            else:
                events.setdefault(v.stored.event_id, v.stored)  # a resend inside one batch
        results = self.db.store(list(events.values()), dead, datetime.now(UTC))
        inserted = {r.event_id for r in results if r.inserted}
        self.counts["received"] += len(batch)
        self.counts["stored"] += len(inserted)
        self.counts["dead_lettered"] += len(dead)
        for d in dead:
            log.warning("dead letter on %s: %s %s", d.topic, d.reason, d.detail)
        self._ack(verified, inserted)

    def _record_status(self, v: Verified) -> None:
        env = v.envelope
        body = env.body.model_dump_json(exclude={"kind"})
        self.db.set_device_status(env.site, env.device, body, env.created_at.isoformat())

    def _ack(self, verified: list[Verified], inserted: set[str]) -> None:
        per_device: dict[tuple[str, str], list[AckResult]] = defaultdict(list)
        seen: set[str] = set()
        for v in verified:
            if v.stored is None:
                continue
            eid = v.stored.event_id
            first = eid in inserted and eid not in seen
            seen.add(eid)
            if not first:
                self.counts["duplicates"] += 1
            per_device[(v.envelope.site, v.envelope.device)].append(
                AckResult(id=eid, result="stored" if first else "duplicate")
            )
        now = datetime.now(UTC)
        for (site, device), acks in per_device.items():
            secret = self.directory(site, device)
            if secret is not None:
                self.publish_ack(site, device, encode_ack(Ack(acks=acks, at=now), secret))
