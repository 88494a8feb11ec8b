"""The MQTT side of central: subscribe to every gate's events and status, publish acks."""

import logging
import queue
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from central.ingest.limits import DeviceLimiter
from central.ingest.validate import Inbound
from central.metrics import IngestMetrics
from wireproto import topics
from wireproto.transport import BrokerAddress, new_client

log = logging.getLogger(__name__)

DISCONNECT = PacketTypes.DISCONNECT << 4  # the command byte's high nibble, as paho queues it
PUBLISH = PacketTypes.PUBLISH << 4

# While the queue is full, paho's network thread waits in short steps and sends what is
# waiting in between (acks the writer published, PUBACKs): reading stays paused, writing not.
PUT_POLL_S = 0.02


class MqttConsumer:
    """Hands every message to the bounded ``inbox``; blocks (backpressure) when it is full.

    Blocking in paho's network thread is the backpressure: paho stops reading the socket and
    stops acking, the broker stops sending once its in-flight window to us is full and queues
    the rest (``max_queued_messages``), and TCP pushes back on anything beyond. Memory stays
    bounded by the queue size however large a backlog arrives.

    Only reading stops. The writer publishes acks from its own thread right after each commit
    (paho's publish only queues the packet); the network thread would send them when it
    returns to its loop, i.e. only once the queue has room, so a full queue held every ack
    back and they reached the gates in bursts. While it waits for room it therefore flushes
    the outgoing packets itself every ``PUT_POLL_S`` (:meth:`_wait_for_room`).

    Alone, central keeps a persistent session (fixed client id, clean_session False): the
    broker queues QoS 1 messages while it restarts; the end-to-end ack covers whatever a
    broker drops. With ``shared_group`` several instances split the stream between them, and
    each member's session is clean: Mosquitto (2.0) and EMQX keep handing a share of the
    group's messages to a member whose persistent session is offline, so a killed instance
    held half of everything sent after it died until it came back or the gates resent (each
    resend again one-in-two to the dead session; benchmarks/rush.py's kill run still had
    2,619 events in gates' outboxes 300 s after the last send). A clean member leaves the group
    when its connection drops and the others take everything; what was in flight to it is
    unacked, so its gates resend it (their outbox, not the broker, is what keeps events).
    """

    def __init__(
        self,
        address: BrokerAddress,
        client_id: str,
        inbox: "queue.Queue[Inbound]",
        shared_group: str | None = None,
        metrics: IngestMetrics | None = None,
        limiter: DeviceLimiter | None = None,
    ) -> None:
        self.address = address
        self.inbox = inbox
        self.metrics = metrics or IngestMetrics()
        self.limiter = limiter
        self.filters = [topics.ALL_EVENTS, topics.ALL_STATUS]
        if shared_group:
            self.filters = [topics.shared(f, shared_group) for f in self.filters]
        self.client = new_client(address, client_id, clean_session=bool(shared_group))
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        # Set once the broker confirmed the subscriptions: only then is central receiving.
        self.connected = threading.Event()
        self._stopping = threading.Event()
        self._sending = threading.Lock()

    def start(self) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        with self._sending:  # no loop_write in _wait_for_room after this (see there)
            self._stopping.set()
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()
        self.metrics.broker_connected.set(0)

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, reason_code: ReasonCode, _p: object
    ) -> None:
        if reason_code.is_failure:
            log.error("broker %s refused central: %s", self.address.redacted(), reason_code)
            return
        client.subscribe([(f, 1) for f in self.filters])
        log.info("central connected to %s", self.address.redacted())

    def _on_subscribe(
        self, _c: mqtt.Client, _u: object, _mid: int, reason_codes: list[ReasonCode], _p: object
    ) -> None:
        refused = [str(rc) for rc in reason_codes if rc.is_failure]
        if refused:
            log.error("broker refused central's subscriptions %s: %s", self.filters, refused)
            return
        self.connected.set()
        self.metrics.broker_connected.set(1)

    def _on_disconnect(
        self, _c: mqtt.Client, _u: object, _f: object, reason_code: ReasonCode, _p: object
    ) -> None:
        self.connected.clear()
        self.metrics.broker_connected.set(0)
        if not self._stopping.is_set():
            log.warning("central lost the broker: %s", reason_code)

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        # Never raise here: an exception would end paho's network thread. A topic that is not
        # UTF-8 still goes on, spelled so that validation dead-letters it as a bad topic.
        topic = bytes(message._topic).decode("utf-8", "backslashreplace")
        payload = bytes(message.payload)
        self.metrics.received.inc()
        if self.limiter is not None and not self.limiter.admit(topic, payload):
            return  # over its device's budget: counted by the limiter, never queued or acked
        item = Inbound(topic, payload)
        try:
            self.inbox.put_nowait(item)
        except queue.Full:
            self._wait_for_room(item)

    def _wait_for_room(self, item: Inbound) -> None:
        """Backpressure without holding the acks back: wait for room, sending meanwhile.

        Runs in paho's network thread (inside ``on_message``), the one thread that may write
        the socket, so writing here is what the loop itself would do next. Never once
        stopping (``_sending`` orders this against :meth:`stop`): see :meth:`_flush`.
        """
        flushing = True
        while True:
            with self._sending:
                if self._stopping.is_set():
                    # Not stored, not acked: the gate resends it (docs/protocol.md, section 8).
                    log.warning("stopping with a full queue: leaving a message to its resend")
                    return
                if flushing:
                    flushing = self._flush()
            try:
                self.inbox.put(item, timeout=PUT_POLL_S)
                return
            except queue.Full:
                continue

    def _flush(self) -> bool:
        """Send the queued outgoing packets; False once the socket failed (stop trying).

        paho has no public write step usable inside a callback: ``loop_write`` handles a
        failed socket by running ``on_disconnect``, and writing a DISCONNECT or a QoS 0
        publish runs a callback too, each under paho's callback lock, which this thread holds
        already (a deadlock). So this writes through ``_packet_write`` (which only sends and
        reports) and only while every queued packet is one that runs no callback when sent;
        on a socket error it stops, and paho's loop handles the error once ``on_message``
        has returned. tests/central/test_ingest_pipeline.py pins this to paho's behaviour.
        """
        client: Any = self.client
        # A snapshot: the writer thread appends acks meanwhile, and iterating the deque
        # itself would fail on that; tuple() copies it in one step under the GIL.
        waiting = tuple(client._out_packet)
        if not waiting:
            return True
        for packet in waiting:
            kind = packet["command"] & 0xF0
            if kind == DISCONNECT or (kind == PUBLISH and packet["qos"] == 0):
                return True  # left to paho's loop
        try:
            rc = client._packet_write()
        except Exception:  # never raise in paho's thread: its loop sees the socket's state
            log.exception("sending acks while the ingest queue is full failed")
            return False
        return rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN)

    def publish_ack(self, site: str, device: str, payload: bytes) -> None:
        self.client.publish(topics.ack_topic(site, device), payload, qos=1)
