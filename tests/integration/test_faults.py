"""Fault injection: a gate streams events while the broker, central or the gate itself fails.

Every case counts the events the gate committed to its outbox ("sent") and the events central
stored, and requires both to be exactly seq 1..TOTAL: nothing lost, nothing stored twice.
The gate is tests/integration/fault_gate.py (the real Outbox and Uplink, no cameras), the
broker a private Mosquitto each test can stop, central a real ``sitegate-central serve``.
"""

import os
import signal
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml

from conftest import Central, Mosquitto, Process, have_mosquitto, wait_until
from wireproto.transport import BrokerAddress, new_client

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="needs the mosquitto binary")

SITE, DEVICE = "site-f", "gate-1"
TOTAL = 300
FAULT_GATE = Path(__file__).with_name("fault_gate.py")


def query(db: Path, sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(sql, args).fetchall()


@dataclass
class Rig:
    tmp: Path
    broker: Mosquitto
    central: Central
    config: Path
    outbox: Path

    def gate(self, rate: float = 100) -> Process:
        n = len(list(self.tmp.glob("gate-*.log")))
        args = ["python", str(FAULT_GATE), str(self.config), str(TOTAL), str(rate)]
        return Process(args, self.tmp / f"gate-{n}.log")

    def sent(self) -> int:
        rows = query(self.outbox, "SELECT value FROM meta WHERE key = 'last_seq'")
        return rows[0][0] if rows else 0

    def unsent(self) -> int:
        return query(self.outbox, "SELECT count(*) FROM outbox WHERE attempts = 0")[0][0]

    def depth(self) -> int:
        return query(self.outbox, "SELECT count(*) FROM outbox")[0][0]

    def stored(self) -> int:
        return query(Path(self.central.db), "SELECT count(*) FROM events")[0][0]

    def settled(self) -> bool:
        return self.sent() == TOTAL and self.stored() == TOTAL and self.depth() == 0

    def assert_nothing_lost_or_doubled(self) -> None:
        db = Path(self.central.db)
        seqs = [
            s for (s,) in query(db, "SELECT seq FROM events WHERE device = ? ORDER BY seq", DEVICE)
        ]
        workers = query(db, "SELECT count(*), count(DISTINCT worker_id) FROM attendance")[0]
        print(f"sent {self.sent()}, stored {len(seqs)} events, {workers[0]} attendance rows")
        assert self.sent() == TOTAL
        assert seqs == list(range(1, TOTAL + 1))
        assert workers == (TOTAL, TOTAL)


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    rigs: list[Rig] = []

    def make(broker_conf: str = "", **gate: object) -> Rig:
        broker = Mosquitto(tmp_path, broker_conf)
        broker.start()
        central = Central(tmp_path, broker.url)
        config = central.provision(SITE, DEVICE, broker.url)
        outbox = tmp_path / "outbox.db"
        data = yaml.safe_load(config.read_text())
        data.update(outbox=str(outbox), resend_after_s=1, status_interval_s=1, **gate)
        config.write_text(yaml.safe_dump(data))
        rig = Rig(tmp_path, broker, central, config, outbox)
        rigs.append(rig)
        central.start()
        return rig

    yield make
    for rig in rigs:
        rig.central.stop()
        rig.broker.stop()


def test_broker_stopped_and_restarted_mid_stream(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    gate = rig.gate()
    try:
        wait_until(lambda: rig.stored() >= 60, 60, "central to store 60 events")
        rig.broker.stop()
        at_stop = rig.sent()
        wait_until(lambda: rig.sent() >= at_stop + 50, 30, "the gate to record 50 events offline")
        rig.broker.start()
        wait_until(rig.settled, 90, "every event stored and acked")
        rig.assert_nothing_lost_or_doubled()

        # The heartbeat after the outage: outbox, software, and the clock measured on acks.
        def heartbeat() -> dict[str, object] | None:
            status = rig.central.get("/api/v1/devices")[0]["status"]  # type: ignore[index]
            fresh = status and status["outbox_depth"] == 0 and status["clock_offset_ms"] is not None
            return status if fresh else None

        status = wait_until(heartbeat, 30, "a heartbeat with an empty outbox and a clock offset")
        assert status["state"] == "online" and status["software_version"]
        assert status["sensors"]["outbox"] == "ok"
        assert status["sensors"]["ntp"] in ("synced", "unsynced", "unknown")
        assert abs(status["clock_offset_ms"]) < 2000 and status["clock_synced"] is True
    finally:
        assert gate.stop() == 0, gate.output()


def test_central_killed_and_restarted_mid_stream(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    gate = rig.gate()
    try:
        wait_until(lambda: rig.stored() >= 60, 60, "central to store 60 events")
        old = rig.central.process
        assert old is not None
        old.proc.send_signal(signal.SIGKILL)
        old.proc.wait()
        old.stop()
        at_kill = rig.sent()
        wait_until(lambda: rig.sent() >= at_kill + 50, 30, "50 more events while central is dead")
        rig.central.start()
        wait_until(rig.settled, 90, "every event stored and acked")
        rig.assert_nothing_lost_or_doubled()
    finally:
        assert gate.stop() == 0, gate.output()


def test_gate_killed_mid_publish_and_restarted(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    first = rig.gate()
    wait_until(lambda: rig.stored() >= 60, 60, "central to store 60 events")
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait()
    first.stop()
    killed_at = rig.sent()
    assert killed_at < TOTAL, "the gate finished before it could be killed mid-stream"
    second = rig.gate()
    try:
        wait_until(rig.settled, 90, "every event stored and acked")
        rig.assert_nothing_lost_or_doubled()
        print(f"killed at seq {killed_at}, {TOTAL - killed_at} appended after the restart")
    finally:
        assert second.stop() == 0, second.output()


class DroppedCounter:
    """Mosquitto's own count of messages it dropped (``$SYS``, published every second)."""

    TOPIC = "$SYS/broker/publish/messages/dropped"

    def __init__(self, broker_url: str) -> None:
        self.value: int | None = None
        address = BrokerAddress.parse(broker_url)
        self.client = new_client(address, f"test-sys-{os.getpid()}", clean_session=True)
        self.client.on_connect = lambda c, *_: c.subscribe(self.TOPIC, 0)
        self.client.on_message = self._on_message
        self.client.connect(address.host, address.port)
        self.client.loop_start()

    def _on_message(self, _c, _u, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        self.value = int(msg.payload)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_subscriber_backlog_makes_the_broker_drop_and_resends_recover(
    make_rig: Callable[..., Rig],
) -> None:
    # Mosquitto's queue limit, made small: past 10 queued messages for a subscriber that does
    # not keep up, it drops QoS 1 messages (its default drops past 1000).
    rig = make_rig("max_queued_messages 10\nsys_interval 1\n")
    dropped = DroppedCounter(rig.broker.url)
    central = rig.central.process
    assert central is not None
    central.proc.send_signal(signal.SIGSTOP)  # central stops reading: a backlog builds
    gate = rig.gate(rate=1000)
    try:
        wait_until(
            lambda: rig.sent() == TOTAL and rig.unsent() == 0, 60, "every event published once"
        )
        wait_until(lambda: (dropped.value or 0) > 0, 30, "the broker to report dropped messages")
        print(f"broker dropped {dropped.value} messages while central was stalled")
        central.proc.send_signal(signal.SIGCONT)
        wait_until(rig.settled, 90, "every event stored and acked after resends")
        rig.assert_nothing_lost_or_doubled()
        assert dropped.value is not None and dropped.value >= TOTAL - 100
    finally:
        central.proc.send_signal(signal.SIGCONT)
        dropped.close()
        assert gate.stop() == 0, gate.output()
