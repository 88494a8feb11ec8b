"""What the outbox's bound costs: appends on an empty outbox against a full one that evicts.

Every append is a committed, fsync'd SQLite transaction (the event must survive a power cut
before the turnstile opens), so the disk sets the pace. The bound adds, per append, one
indexed look-up of the oldest evictable event and, when full, one copy to ``evicted`` and one
delete. This prints appends per second for: an empty outbox, a full small outbox, and a full
outbox of 50 000 events (eviction must not slow down as the outbox grows), plus the ratio of
each to the first (medians of round-robin rounds), on this machine (the figures only mean
something side by side).

    .venv/bin/python benchmarks/outbox.py
"""

import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.outbox import Outbox
from wireproto.messages import AttendanceBody, DustReadingBody

ZONE = ZoneInfo("Asia/Shanghai")
APPENDS = 300
ROUNDS = 3


def attendance(i: int) -> AttendanceBody:
    return AttendanceBody(worker_id=f"W{i}", direction="in", captured_at=datetime.now(ZONE))


def reading() -> DustReadingBody:
    now = datetime.now(ZONE)
    return DustReadingBody(
        sensor="dust0", window="1min", window_start=now, window_end=now, samples=60,
        expected_samples=60, pm10=40.0,
    )  # fmt: skip


def prefill(outbox: Outbox, n: int) -> None:
    """``n`` dust readings in one transaction (copies of one signed row, fresh ids and seqs)."""
    outbox.append(reading())
    outbox.db.execute("BEGIN")
    outbox.db.execute(
        "WITH RECURSIVE k(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM k WHERE i < ?)"
        " INSERT INTO outbox (seq, event_id, kind, topic, payload, created_at)"
        " SELECT i, printf('fill-%d', i), kind, topic, payload, created_at"
        " FROM k, (SELECT * FROM outbox WHERE seq = 1)",
        [n],
    )
    outbox.db.execute("UPDATE meta SET value = ? WHERE key = 'last_seq'", [n])
    outbox.db.execute("COMMIT")
    outbox._depth = n  # the benchmark wrote behind the outbox's back


def measure(max_events: int, fill: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
        outbox = Outbox(
            Path(tmp) / "outbox.db", "site", "gate", bytes(32), ZONE, max_events=max_events
        )
        if fill:
            prefill(outbox, fill)
        t = time.perf_counter()
        for i in range(APPENDS):
            outbox.append(attendance(i))
        elapsed = time.perf_counter() - t
        evicted = outbox.evicted_count()
        outbox.close()
    return APPENDS / elapsed, evicted


def main() -> None:
    logging.disable(logging.ERROR)  # the outbox's full/evicted alarms, expected here
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {APPENDS} fsync'd appends per case")  # fmt: skip
    cases = [
        ("empty outbox, bound 100 000", 100_000, 0),
        ("full outbox of 1 000 readings, each append evicts", 1_000, 1_000),
        ("full outbox of 50 000 readings, each append evicts", 50_000, 50_000),
    ]
    # Round-robin rounds and the median per case: the disk is shared, fsync times drift.
    rates: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    evicted: dict[str, int] = {}
    for _ in range(ROUNDS):
        for label, bound, fill in cases:
            rate, evicted[label] = measure(bound, fill)
            rates[label].append(rate)
    base = statistics.median(rates[cases[0][0]])
    for label, _, _ in cases:
        rate = statistics.median(rates[label])
        print(f"{label:52s} {rate:7.0f} appends/s  x{rate / base:4.2f}  evicted {evicted[label]}")


if __name__ == "__main__":
    main()
