"""The gate's outbox on real SQLite files: bound, eviction order, alarm, acks, kill -9."""

import signal
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import wait_until
from edge.outbox import Outbox, OutboxFull
from wireproto import AckResult
from wireproto.messages import AttendanceBody, DustAlarmBody, DustReadingBody

ZONE = ZoneInfo("Asia/Shanghai")
SECRET = bytes(range(32))


def attendance(worker: str = "W1") -> AttendanceBody:
    return AttendanceBody(worker_id=worker, direction="in", captured_at=datetime.now(ZONE))


def reading() -> DustReadingBody:
    now = datetime.now(ZONE)
    return DustReadingBody(
        sensor="dust0", window="1min", window_start=now, window_end=now, samples=60,
        expected_samples=60, pm10=40.0,
    )  # fmt: skip


def alarm() -> DustAlarmBody:
    return DustAlarmBody(
        state="raised", pollutant="pm10", value=200.0, limit=150.0, profile="gb3095-2012",
        window="1h", at=datetime.now(ZONE),
    )  # fmt: skip


def open_outbox(path: Path, max_events: int = 100) -> Outbox:
    return Outbox(path, "site-a", "gate-1", SECRET, ZONE, max_events=max_events)


def kinds(outbox: Outbox) -> list[str]:
    return [r[0] for r in outbox.db.execute("SELECT kind FROM outbox ORDER BY seq").fetchall()]


def test_full_outbox_evicts_dust_readings_then_alarms_and_never_attendance(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "outbox.db", max_events=10)
    for body in [reading(), alarm(), reading(), *[attendance(f"W{i}") for i in range(7)]]:
        outbox.append(body)
    assert outbox.depth() == 10 and outbox.pressure() == "full"

    # A new reading may only displace an older reading.
    outbox.append(reading())
    assert kinds(outbox).count("dust_reading") == 2 and outbox.evicted_count() == 1

    # Attendance displaces the readings first, then the alarm.
    outbox.append(attendance("W7"))
    outbox.append(attendance("W8"))
    assert "dust_reading" not in kinds(outbox) and "dust_alarm" in kinds(outbox)
    with pytest.raises(OutboxFull):
        outbox.append(reading())  # it would have to evict an alarm: refused instead
    outbox.append(attendance("W9"))
    assert kinds(outbox) == ["attendance"] * 10
    assert outbox.evicted_count() == 4

    # Only attendance left: nothing is evicted, the new event is refused and not numbered.
    last_seq = outbox.db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()[0]
    with pytest.raises(OutboxFull):
        outbox.append(attendance("W10"))
    with pytest.raises(OutboxFull):
        outbox.append(alarm())
    assert outbox.depth() == 10 and outbox.evicted_count() == 4
    assert outbox.db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()[0] == (
        last_seq
    )
    evicted = outbox.db.execute("SELECT kind FROM evicted").fetchall()
    assert sorted(k for (k,) in evicted) == ["dust_alarm"] + ["dust_reading"] * 3


def test_pressure_alarm_follows_depth_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    outbox = open_outbox(path, max_events=20)
    envelopes = [outbox.append(attendance(f"W{i}")) for i in range(17)]
    assert outbox.pressure() == "ok"
    envelopes.append(outbox.append(attendance("W17")))
    assert outbox.pressure() == "near_full"  # 18 of 20 = 90 %
    outbox.close()

    reopened = open_outbox(path, max_events=20)
    assert reopened.depth() == 18 and reopened.pressure() == "near_full"
    removed = reopened.settle([AckResult(id=e.id, result="stored") for e in envelopes[:5]])
    assert removed == 5 and reopened.depth() == 13 and reopened.pressure() == "ok"


def test_acks_settle_only_known_ids_and_keep_rejected_for_inspection(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "outbox.db")
    a, b, c = (outbox.append(attendance(w)) for w in ("W1", "W2", "W3"))
    removed = outbox.settle(
        [
            AckResult(id=a.id, result="stored"),
            AckResult(id=b.id, result="rejected", reason="outside_replay_window"),
            AckResult(id="01a21525-1b70-7c4e-9b2a-5e6f7a8b9c0d", result="duplicate"),
        ]
    )
    assert removed == 2 and outbox.depth() == 1
    assert [p.event_id for p in outbox.due(10)] == [c.id]
    assert outbox.db.execute("SELECT event_id, reason FROM rejected").fetchall() == [
        (b.id, "outside_replay_window")
    ]


def test_resends_back_off_and_keep_device_order(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "outbox.db")
    envelopes = [outbox.append(attendance(f"W{i}")) for i in range(3)]
    due = outbox.due(10, now=1000.0)
    assert [p.seq for p in due] == [1, 2, 3]
    outbox.mark_sent([p.seq for p in due], first_resend_s=5, now=1000.0)
    assert outbox.due(10, now=1004.0) == [] and outbox.in_flight(now=1004.0) == 3
    outbox.mark_sent([p.seq for p in outbox.due(10, now=1005.0)], first_resend_s=5, now=1005.0)
    assert outbox.due(10, now=1014.0) == []  # second resend after 10 s, not 5
    assert [p.event_id for p in outbox.due(10, now=1015.0)] == [e.id for e in envelopes]


APPENDER = """
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from edge.outbox import Outbox
from wireproto.messages import AttendanceBody
zone = ZoneInfo("Asia/Shanghai")
outbox = Outbox(Path(sys.argv[1]), "site-a", "gate-1", bytes(range(32)), zone)
i = 0
while True:
    outbox.append(AttendanceBody(worker_id=f"W{i}", direction="in", captured_at=datetime.now(zone)))
    i += 1
"""


def test_kill_9_during_appends_leaves_a_consistent_outbox(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    proc = subprocess.Popen([sys.executable, "-c", APPENDER, str(path)])

    def committed() -> int:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]

    try:
        wait_until(lambda: committed() >= 50, 30, "50 committed appends")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    outbox = open_outbox(path, max_events=100_000)
    assert outbox.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    seqs = [r[0] for r in outbox.db.execute("SELECT seq FROM outbox ORDER BY seq").fetchall()]
    last_seq = outbox.db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()[0]
    assert seqs == list(range(1, last_seq + 1))  # every committed event, no gap, no torn row
    assert outbox.depth() == len(seqs) >= 50
    following = outbox.append(attendance("after"))
    assert following.seq == last_seq + 1
