"""The gate's MQTT link: drains the outbox, applies acks, keeps the retained status current.

Last will: a signed ``offline`` status is registered before connecting, and ``online`` is
published retained on every connect, so central and supervisors see a dead gate at once.
The heartbeat repeats the status with the outbox depth and alarm, camera and sensor health,
the software version and the clock's offset from central (measured on acks, edge/clock.py).

Commands from central (``cmd/config``, ``cmd/gallery``) go to their handlers; the gate then
reports the versions it has applied on ``…/sync`` (and with every heartbeat), which is what
makes central send the next change (wireproto/commands.py).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import paho.mqtt.client as mqtt

from edge.clock import ClockMonitor
from edge.gallery_sync import GallerySync
from edge.outbox import Outbox
from edge.remote_config import RemoteConfig
from firmware_config import GateConfig
from wireproto import (
    AckResult,
    Envelope,
    ProtocolError,
    decode_ack,
    encode_event,
    new_event_id,
    topics,
)
from wireproto.commands import CONFIG, GALLERY, SyncReport, encode_signed
from wireproto.messages import DeviceStatusBody
from wireproto.transport import BrokerAddress, new_client

log = logging.getLogger(__name__)

StatusProvider = Callable[[], dict[str, object]]

SEND_BATCH = 200
MAX_IN_FLIGHT = 1000
MAX_TIMED = 5000  # send times kept for clock samples; older ones are simply forgotten


def broker_address(config: GateConfig) -> BrokerAddress:
    """The URL from the config, with credentials from their own (secret) fields if set."""
    b = config.broker
    address = BrokerAddress.parse(b.url, str(b.ca_file) if b.ca_file else None)
    if b.username:
        password = b.password.get_secret_value() if b.password else None
        address = replace(address, username=b.username, password=password)
    return address


class Uplink(threading.Thread):
    def __init__(
        self,
        config: GateConfig,
        outbox: Outbox,
        status: StatusProvider,
        *,
        clock: ClockMonitor | None = None,
        remote_config: RemoteConfig | None = None,
        gallery_sync: GallerySync | None = None,
    ) -> None:
        super().__init__(name="uplink", daemon=True)
        self.config = config
        self.outbox = outbox
        self.status = status
        self.clock = clock or ClockMonitor()
        self.remote_config = remote_config
        self.gallery_sync = gallery_sync
        # event id → wall time of its only send (None once resent: which copy was acked?)
        self._sent_at: dict[str, float | None] = {}
        self._timing = threading.Lock()
        self.secret = config.secret_bytes
        self.address = broker_address(config)
        self.client = new_client(
            self.address, topics.gate_client_id(config.site, config.device), clean_session=False
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.status_topic = topics.status_topic(config.site, config.device)
        self.ack_topic = topics.ack_topic(config.site, config.device)
        self.command_topics = {
            topics.command_topic(config.site, config.device, CONFIG): self._on_config,
            topics.command_topic(config.site, config.device, GALLERY): self._on_gallery,
        }
        self.sync_topic = topics.sync_topic(config.site, config.device)
        self._status_seq = 0

    # -- status -------------------------------------------------------------------------

    def _status_payload(self, state: str) -> bytes:
        # Status has its own sequence space (seq 0..): it is state, never stored as evidence.
        self._status_seq += 1
        body = DeviceStatusBody(
            state=state,  # type: ignore[arg-type]
            at=datetime.now(self.config.zone),
            **(self.health() if state == "online" else {}),
        )
        envelope = Envelope(
            id=new_event_id(),
            site=self.config.site,
            device=self.config.device,
            seq=self._status_seq,
            created_at=body.at,
            body=body,
        )
        return encode_event(envelope, self.secret)

    def health(self) -> dict[str, object]:
        """The device's status fields, plus what only the uplink knows: clock and outbox."""
        fields = dict(self.status())
        clock = self.clock.state()
        sensors = {
            **dict(fields.get("sensors") or {}),  # type: ignore[call-overload]
            "outbox": self.outbox.pressure(),
            "ntp": clock.pop("ntp"),
        }
        fields.update(clock, sensors=sensors, outbox_depth=self.outbox.depth())
        return fields

    def publish_status(self) -> None:
        if self.connected.is_set():
            self.client.publish(self.status_topic, self._status_payload("online"), 1, retain=True)
            self.publish_sync()

    def publish_sync(self) -> None:
        """Tell central which config and gallery versions are applied here."""
        rc, gs = self.remote_config, self.gallery_sync
        if not self.connected.is_set() or (rc is None and gs is None):
            return
        report = SyncReport(
            site=self.config.site,
            device=self.config.device,
            config_version=rc.version if rc else 0,
            config_error=rc.error if rc else None,
            config_rejected=rc.rejected_version if rc else None,
            gallery_version=gs.version if gs else 0,
            at=datetime.now(self.config.zone),
        )
        self.client.publish(self.sync_topic, encode_signed(report, self.secret), qos=1)

    # -- paho callbacks -----------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u, _f, reason_code, _p) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.error("broker %s refused the gate: %s", self.address.redacted(), reason_code)
            return
        client.subscribe([(self.ack_topic, 1), *((t, 1) for t in self.command_topics)])
        self.connected.set()
        self.publish_status()
        self.outbox.resend_all_now()
        self.wake.set()
        log.info("gate connected to %s", self.address.redacted())

    def _on_disconnect(self, _c, _u, _f, reason_code, _p) -> None:  # type: ignore[no-untyped-def]
        self.connected.clear()
        if not self.stopping.is_set():
            log.warning("gate lost the broker (%s); events stay in the outbox", reason_code)

    def _on_message(self, _c, _u, message: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        handler = self.command_topics.get(message.topic)
        if handler is not None:
            if handler(bytes(message.payload)):
                self.publish_sync()
            return
        if message.topic != self.ack_topic:
            return
        received = time.time()
        try:
            ack = decode_ack(bytes(message.payload), self.secret)
        except ProtocolError as exc:
            log.warning("ignoring an ack that is not central's: %s", exc.reason)
            return
        self._clock_sample(ack.acks, ack.at, received)
        removed = self.outbox.settle(ack.acks)
        log.debug("ack settled %d events", removed)
        self.wake.set()

    def _on_config(self, payload: bytes) -> bool:
        return self.remote_config is not None and self.remote_config.handle(payload)

    def _on_gallery(self, payload: bytes) -> bool:
        return self.gallery_sync is not None and self.gallery_sync.handle(payload)

    def _clock_sample(
        self, results: list[AckResult], central_at: datetime, received: float
    ) -> None:
        with self._timing:
            sent = [self._sent_at.pop(r.id, None) for r in results]
        known = [t for t in sent if t is not None]
        if known and central_at.tzinfo is not None:
            # Central stamped the ack after receiving every event it covers.
            self.clock.add(max(known), central_at, received)

    # -- thread -------------------------------------------------------------------------

    def run(self) -> None:
        self.client.will_set(self.status_topic, self._status_payload("offline"), 1, retain=True)
        self.client.connect_async(self.address.host, self.address.port, keepalive=30)
        self.client.loop_start()
        next_status = time.monotonic() + self.config.status_interval_s
        while not self.stopping.is_set():
            self.wake.wait(timeout=1.0)
            self.wake.clear()
            if self.connected.is_set():
                self._send_due()
                if time.monotonic() >= next_status:
                    self.publish_status()
                    next_status = time.monotonic() + self.config.status_interval_s

    def _send_due(self) -> None:
        room = MAX_IN_FLIGHT - self.outbox.in_flight()
        if room <= 0:
            return
        batch = self.outbox.due(min(SEND_BATCH, room))
        now = time.time()
        for item in batch:
            self.client.publish(item.topic, item.payload, qos=1)
        with self._timing:
            for item in batch:
                first = item.attempts == 0 and item.event_id not in self._sent_at
                self._sent_at[item.event_id] = now if first else None
            while len(self._sent_at) > MAX_TIMED:
                del self._sent_at[next(iter(self._sent_at))]
        if batch:
            self.outbox.mark_sent([p.seq for p in batch], self.config.resend_after_s)
            if len(batch) == SEND_BATCH:
                self.wake.set()  # more may be due: go round again without waiting

    def nudge(self) -> None:
        """A new event is in the outbox: send it now rather than at the next tick."""
        self.wake.set()

    def stop(self) -> None:
        """Clean stop: publish ``offline`` ourselves (a clean disconnect fires no will)."""
        self.stopping.set()
        self.wake.set()
        self.join(timeout=5)
        if self.connected.is_set():
            info = self.client.publish(self.status_topic, self._status_payload("offline"), 1, True)
            info.wait_for_publish(timeout=3)
        self.client.disconnect()
        self.client.loop_stop()
