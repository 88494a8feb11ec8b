"""Is the gate's clock right? Attendance times are wage evidence, so the gate must know.

Two independent witnesses:

- the kernel: ``adjtimex(2)`` says whether NTP (chrony, systemd-timesyncd) keeps the clock
  synchronised (read-only, no privileges needed);
- central: every signed ack carries central's clock (``at``). An event sent at device time
  ``t0`` and acked at ``t1`` was acked at central time ``at`` somewhere in between, so
  ``offset = (t0 + t1) / 2 - at`` (device minus central, the protocol's sign) with an error
  of at most ``(t1 - t0) / 2``, as in NTP. The sample with the shortest round trip among the
  recent ones is the best estimate.

What central measures matters most (central's clock is the one the wage office trusts), so
the status reports that offset, and ``clock_synced`` is false whenever it exceeds the
tolerance, whatever NTP claims.
"""

import ctypes
import ctypes.util
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

TIME_ERROR = 5  # adjtimex: the clock is not synchronised
DEFAULT_TOLERANCE_MS = 2000
SAMPLES = 16


def kernel_synchronised() -> bool | None:
    """True/False from ``adjtimex``; None where it cannot be asked (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        timex = ctypes.create_string_buffer(512)  # struct timex with modes = 0: read only
        state = libc.adjtimex(timex)
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != TIME_ERROR


@dataclass(frozen=True, slots=True)
class OffsetSample:
    offset_ms: float  # device minus central: positive when the gate runs ahead
    error_ms: float  # half the round trip


class ClockMonitor:
    """Collects offset samples from acks; thread-safe (paho's thread adds, the heartbeat reads)."""

    def __init__(
        self,
        tolerance_ms: int = DEFAULT_TOLERANCE_MS,
        kernel_check: Callable[[], bool | None] = kernel_synchronised,
    ) -> None:
        self.tolerance_ms = tolerance_ms
        self._kernel = kernel_check
        self._samples: deque[OffsetSample] = deque(maxlen=SAMPLES)
        self._lock = threading.Lock()

    def add(self, sent_at: float, central_at: datetime, received_at: float) -> None:
        """One round trip: device wall times (``time.time()``) around central's timestamp."""
        if received_at < sent_at:
            return  # the device clock stepped backwards meanwhile: no usable sample
        midpoint = (sent_at + received_at) / 2
        sample = OffsetSample(
            (midpoint - central_at.timestamp()) * 1000, (received_at - sent_at) * 500
        )
        with self._lock:
            self._samples.append(sample)

    def best(self) -> OffsetSample | None:
        with self._lock:
            return min(self._samples, key=lambda s: s.error_ms, default=None)

    def state(self) -> dict[str, object]:
        """The status fields: ``clock_synced``, ``clock_offset_ms`` and the NTP witness."""
        kernel = self._kernel()
        best = self.best()
        if best is None:
            synced = kernel
        else:
            # Only a proven excess counts: the offset minus its error bound.
            synced = abs(best.offset_ms) - best.error_ms <= self.tolerance_ms
        ntp = "unknown" if kernel is None else ("synced" if kernel else "unsynced")
        return {
            "clock_synced": synced,
            "clock_offset_ms": None if best is None else round(best.offset_ms),
            "ntp": ntp,
        }
