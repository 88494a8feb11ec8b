"""Test factories for ingest: provisioned gates and their signed events, as a gate makes them."""

import os
import queue
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from central.ingest.devices import DeviceDirectory
from central.ingest.validate import Inbound
from central.ingest.writer import IngestWriter
from central.storage import Database
from wireproto import (
    Ack,
    AttendanceBody,
    DeviceStatusBody,
    DustReadingBody,
    Envelope,
    decode_ack,
    encode_event,
    new_event_id,
    topics,
)

ZONE = ZoneInfo("Asia/Shanghai")


@dataclass
class Gate:
    """A provisioned device that signs events the way edge/outbox.py does."""

    site: str
    device: str
    secret: bytes = field(default_factory=lambda: os.urandom(32))
    seq: int = 0

    def attendance(self, worker_id: str = "W1", age: timedelta = timedelta(minutes=1)) -> Inbound:
        at = datetime.now(ZONE) - age
        body = AttendanceBody(worker_id=worker_id, direction="in", captured_at=at)
        return self._event(body, age)

    def status(self, state: str = "online") -> Inbound:
        """A signed status message (a real gate counts status in its own sequence space)."""
        at = datetime.now(ZONE)
        body = DeviceStatusBody(state=state, at=at)  # type: ignore[arg-type]
        env = Envelope(
            id=new_event_id(), site=self.site, device=self.device, seq=1, created_at=at, body=body
        )
        return Inbound(topics.status_topic(self.site, self.device), encode_event(env, self.secret))

    def dust(self, sensor: str = "pm-1") -> Inbound:
        end = datetime.now(ZONE) - timedelta(minutes=1)
        body = DustReadingBody(
            sensor=sensor,
            window="1min",
            window_start=end - timedelta(minutes=1),
            window_end=end,
            pm10=80.5,
            samples=60,
            expected_samples=60,
        )
        return self._event(body)

    def _event(
        self, body: AttendanceBody | DustReadingBody, age: timedelta = timedelta(minutes=1)
    ) -> Inbound:
        self.seq += 1
        env = Envelope(
            id=new_event_id(),
            site=self.site,
            device=self.device,
            seq=self.seq,
            created_at=datetime.now(ZONE) - age,
            body=body,
        )
        topic = topics.event_topic(self.site, self.device, body.kind)
        return Inbound(topic, encode_event(env, self.secret))

    def acks(self, published: list[tuple[str, str, bytes]]) -> list[Ack]:
        """The acks central published to this gate, verified with its secret."""
        return [
            decode_ack(payload, self.secret)
            for site, device, payload in published
            if (site, device) == (self.site, self.device)
        ]


def provision(db: Database, *gates: Gate) -> None:
    for g in gates:
        db.add_device(g.site, g.device, g.secret.hex())


def writer_for(db: Database, *gates: Gate) -> tuple[IngestWriter, list[tuple[str, str, bytes]]]:
    """A writer on ``db`` (not started: tests call ``process``) and the acks it publishes."""
    provision(db, *gates)
    published: list[tuple[str, str, bytes]] = []
    directory = DeviceDirectory(db)
    directory.reload()
    writer = IngestWriter(db, queue.Queue(), directory, lambda s, d, p: published.append((s, d, p)))
    return writer, published


class GateLink:
    """The gates' side of the broker: publishes their messages, collects central's acks."""

    def __init__(self, broker_url: str, gates: list[Gate]) -> None:
        import threading

        from wireproto.transport import BrokerAddress, new_client

        self.gates = {(g.site, g.device): g for g in gates}
        self.verdicts: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        subscribed = threading.Event()
        address = BrokerAddress.parse(broker_url)
        self.client = new_client(
            address, f"test-gates-{os.getpid()}-{id(self)}", clean_session=True
        )
        self.client.on_connect = lambda c, *_: c.subscribe(f"{topics.ROOT}/+/+/ack", qos=1)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_ack
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        assert subscribed.wait(10), "no SUBACK for the ack listener"

    def _on_ack(self, _c, _u, msg) -> None:  # type: ignore[no-untyped-def]
        parts = topics.parse_topic(msg.topic)
        assert parts is not None
        ack = decode_ack(bytes(msg.payload), self.gates[(parts.site, parts.device)].secret)
        with self._lock:
            for r in ack.acks:
                self.verdicts.setdefault(r.id, []).append(r.result)

    def publish(self, *messages: Inbound) -> None:
        """QoS 1, returning once the broker has every one (its PUBACK)."""
        infos = [self.client.publish(m.topic, m.payload, qos=1) for m in messages]
        for info in infos:
            info.wait_for_publish(30)

    def acked(self) -> dict[str, list[str]]:
        with self._lock:
            return {k: list(v) for k, v in self.verdicts.items()}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
