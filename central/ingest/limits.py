"""Per-device rate and volume limits, applied before a message is queued.

One gate must not crowd out the others: a device that floods central (garbage, or a bug that
resends in a loop) would otherwise fill the bounded ingest queue, stall the consumer, and make
the broker queue (and, past its limits, drop) every other gate's events. Each device, named
by the ``<site>/<device>`` levels of the topic, gets two token buckets: messages and bytes.
A message over either budget is dropped before it is parsed and counted per device; the
writer adds those counts to ``dead_letter_counts`` as ``rate_limited`` (one row per device
and hour, not one per message). A dropped event is not acked, so a well-behaved gate keeps
it and resends it with backoff: nothing it sent is lost (docs/protocol.md, section 10).

The burst is sized for a gate emptying its outbox after an outage; the rate is far above any
real gate's traffic (a check-in is a person walking through a turnstile).
"""

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from wireproto.topics import ROOT

_PREFIX = ROOT + "/"
_NO_DEVICE = ("", "")  # topics that are not sitegate/v1/<site>/<device>/…: one shared budget


@dataclass(slots=True)
class _Bucket:
    messages: float
    bytes: float
    at: float


@dataclass(slots=True)
class Dropped:
    """Messages of one topic device dropped by the limiter since the last drain."""

    count: int
    size: int  # payload bytes
    first_seen: str
    last_seen: str
    sample_topic: str
    sample: bytes


class DeviceLimiter:
    """Token buckets per topic device; ``admit`` is called from the consumer thread only.

    ``rate`` and ``burst`` are messages per second and the bucket size; ``byte_rate`` and
    ``byte_burst`` the same in payload bytes. A rate of 0 switches that limit off.
    """

    MAX_DEVICES = 50_000  # bound on remembered buckets (topics with made-up ids, no ACL)

    def __init__(self, rate: float, burst: float, byte_rate: float, byte_burst: float) -> None:
        self.rate, self.burst = rate, max(burst, 1.0)
        self.byte_rate, self.byte_burst = byte_rate, max(byte_burst, 1.0)
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._dropped: dict[tuple[str, str], Dropped] = {}
        self._lock = threading.Lock()  # the writer drains ``_dropped`` from its own thread

    @staticmethod
    def device_of(topic: str) -> tuple[str, str]:
        """``(site, device)`` from the topic's levels, without validating them."""
        if not topic.startswith(_PREFIX):
            return _NO_DEVICE
        parts = topic.split("/", 4)
        return (parts[2], parts[3]) if len(parts) >= 4 else _NO_DEVICE

    def admit(self, topic: str, payload: bytes) -> bool:
        """True to queue the message; False: over budget, dropped and counted."""
        if self.rate <= 0 and self.byte_rate <= 0:
            return True
        key = self.device_of(topic)
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.MAX_DEVICES:
                self._forget_idle(now)
            bucket = self._buckets[key] = _Bucket(self.burst, self.byte_burst, now)
        elapsed = now - bucket.at
        bucket.at = now
        if self.rate > 0:
            bucket.messages = min(self.burst, bucket.messages + elapsed * self.rate)
        if self.byte_rate > 0:
            bucket.bytes = min(self.byte_burst, bucket.bytes + elapsed * self.byte_rate)
        size = len(payload)
        if (self.rate <= 0 or bucket.messages >= 1) and (
            self.byte_rate <= 0 or bucket.bytes >= size
        ):
            bucket.messages -= 1
            bucket.bytes -= size
            return True
        self._count_drop(key, topic, payload)
        return False

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that would be full again by now; if none, start over (fail open)."""
        idle = [
            k
            for k, b in self._buckets.items()
            if self.rate <= 0 or b.messages + (now - b.at) * self.rate >= self.burst
        ]
        for k in idle:
            del self._buckets[k]
        if len(self._buckets) >= self.MAX_DEVICES:
            self._buckets.clear()

    def _count_drop(self, key: tuple[str, str], topic: str, payload: bytes) -> None:
        stamp = datetime.now(UTC).isoformat()
        with self._lock:
            seen = self._dropped.get(key)
            if seen is None:
                self._dropped[key] = Dropped(1, len(payload), stamp, stamp, topic, payload[:1024])
            else:
                seen.count += 1
                seen.size += len(payload)
                seen.last_seen = stamp

    def drain(self) -> dict[tuple[str, str], Dropped]:
        """The drops counted since the last call (the writer stores them)."""
        with self._lock:
            dropped, self._dropped = self._dropped, {}
        return dropped
