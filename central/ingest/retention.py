"""Dead-letter retention: the tables that record bad input must not grow without bound.

``serve`` runs :class:`DeadLetterPruner` on a timer. Dead letters (whole rows, payload up to
16 KiB) are deleted once older than ``max_age`` and beyond the newest ``max_rows``; their
per-hour counts (one small row per sender, reason and hour) are kept for ``counts_max_age``,
so an operator can still see that a gate misbehaved long after the payloads are gone.
Verified events are never pruned: they are evidence (events, held events).
"""

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from central.storage import Database
from central.storage.dead_letter_store import prune_dead_letter_counts, prune_dead_letters

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Retention:
    max_age: timedelta = timedelta(days=30)
    max_rows: int = 100_000
    counts_max_age: timedelta = timedelta(days=180)


def prune(db: Database, policy: Retention, now: datetime | None = None) -> tuple[int, int]:
    """Apply ``policy`` once; returns (dead letters deleted, count rows deleted)."""
    now = now or datetime.now(UTC)
    rows = prune_dead_letters(db.engine, now - policy.max_age, policy.max_rows)
    counts = prune_dead_letter_counts(db.engine, now - policy.counts_max_age)
    return rows, counts


class DeadLetterPruner(threading.Thread):
    """Prunes at start and then every ``interval_s``; a failure is logged and tried again."""

    def __init__(self, db: Database, policy: Retention, interval_s: float) -> None:
        super().__init__(name="dead-letter-retention", daemon=True)
        self.db, self.policy, self.interval_s = db, policy, interval_s
        self._stopping = threading.Event()

    def run(self) -> None:
        while True:
            try:
                rows, counts = prune(self.db, self.policy)
                if rows or counts:
                    log.info("retention: %d dead letters and %d count rows pruned", rows, counts)
            except Exception as exc:
                log.warning("dead-letter retention failed, trying again later: %s", exc)
            if self._stopping.wait(self.interval_s):
                return

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)
