"""Gate → real Mosquitto → central: one check-in from a real photo, stored exactly once."""

import json
import sqlite3
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from camera_gate import OBAMA, camera_gate

from conftest import FACES, Central, Process, wait_until
from wireproto import decode_ack, topics
from wireproto.transport import BrokerAddress, new_client

SITE, DEVICE = "site-a", "gate-1"


class Listener:
    """A plain MQTT client recording what crosses the broker on some topics."""

    def __init__(self, broker_url: str, *filters: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        address = BrokerAddress.parse(broker_url)
        self.client = new_client(address, f"test-listener-{id(self)}", clean_session=True)
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe([(f, 1) for f in filters])
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        assert self.subscribed.wait(10)

    def _on_message(self, _c, _u, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload)))

    def on(self, topic: str) -> list[bytes]:
        with self._lock:
            return [p for t, p in self.messages if t == topic]

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def gate_config(central: Central, broker_url: str, tmp_path: Path) -> Path:
    """A provisioned gate whose camera sees an enrolled worker and a stranger."""
    path = central.provision(SITE, DEVICE, broker_url)
    return camera_gate(path, tmp_path, {"W1": OBAMA, "W2": FACES / "lisa" / "1.jpg"})


def outbox_depth(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]


def test_check_in_crosses_the_broker_once_and_bad_input_is_dead_lettered(
    central: Central, broker_url: str, gate_config: Path, tmp_path: Path
) -> None:
    config = yaml.safe_load(gate_config.read_text())
    secret = bytes.fromhex(config["secret"])
    event_topic = topics.event_topic(SITE, DEVICE, "attendance")
    ack_topic = topics.ack_topic(SITE, DEVICE)
    listener = Listener(broker_url, event_topic, ack_topic)
    central.start()
    gate = Process(["sitegate-edge", "run", "--config", str(gate_config)], tmp_path / "gate.log")
    try:
        rows = wait_until(
            lambda: central.get("/api/v1/attendance", site=SITE), 90, "the check-in at central"
        )
        # The stranger in frame 2 was not checked in, and W2 (not in front of the camera) neither.
        assert [(r["worker_id"], r["direction"], r["method"]) for r in rows] == [
            ("W1", "in", "face")
        ]
        assert rows[0]["distance"] < 0.5
        assert rows[0]["captured_at"].endswith("+08:00")  # site time, with its offset
        wait_until(
            lambda: outbox_depth(Path(config["outbox"])) == 0, 30, "the ack to drain the outbox"
        )

        # The same event three more times (a gate resending): acked each time, stored once.
        (original,) = listener.on(event_topic)
        for _ in range(3):
            listener.publish(event_topic, original)

        def duplicate_acks() -> int:
            acks = [decode_ack(p, secret) for p in listener.on(ack_topic)]
            return sum(a.result == "duplicate" for ack in acks for a in ack.acks)

        wait_until(lambda: duplicate_acks() == 3, 30, "three duplicate acks")
        assert len(central.get("/api/v1/attendance", site=SITE)) == 1

        # A forged event (body changed, old signature kept) and garbage: dead-lettered.
        forged = json.loads(original)
        forged["body"]["worker_id"] = "W2"
        listener.publish(event_topic, json.dumps(forged).encode())
        listener.publish(event_topic, b'{"v": 1, "oops"')

        def dead_reasons() -> list[str]:
            # Only this gate's topics: the session broker may hold other tests' retained status.
            letters = central.get("/api/v1/dead-letters")
            return sorted(d["reason"] for d in letters if d["topic"] == event_topic)

        wait_until(lambda: len(dead_reasons()) == 2, 30, "two dead letters")
        assert dead_reasons() == ["bad_signature", "malformed_json"]

        # Central still serves and still stores; nothing else was stored.
        assert central.get("/healthz")["status"] == "ok"  # type: ignore[index]
        assert len(central.get("/api/v1/attendance", site=SITE)) == 1
        assert gate.alive()
        device = central.get("/api/v1/devices")[0]  # type: ignore[index]
        assert device["status"]["state"] == "online"
    finally:
        listener.close()
        assert gate.stop() == 0, gate.output()
    assert central.stop() == 0
