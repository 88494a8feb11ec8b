"""The MQTT side of central: subscribe to every gate's events and status, publish acks."""

import logging
import queue
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from central.ingest.limits import DeviceLimiter
from central.ingest.validate import Inbound
from central.metrics import IngestMetrics
from wireproto import topics
from wireproto.transport import BrokerAddress, new_client

log = logging.getLogger(__name__)

PUT_POLL_S = 1.0  # how often a consumer blocked on a full queue looks for a stop request


class MqttConsumer:
    """Hands every message to the bounded ``inbox``; blocks (backpressure) when it is full.

    Blocking in paho's network thread is the backpressure: paho stops reading the socket and
    stops acking, the broker stops sending once its in-flight window to us is full and queues
    the rest (``max_queued_messages``), and TCP pushes back on anything beyond. Memory stays
    bounded by the queue size however large a backlog arrives.

    A persistent session (fixed client id, clean_session False) lets the broker keep QoS 1
    messages while central restarts; the end-to-end ack covers whatever a broker drops.
    With ``shared_group`` several instances split the stream between them.
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
        self.client = new_client(address, client_id, clean_session=False)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        # Set once the broker confirmed the subscriptions: only then is central receiving.
        self.connected = threading.Event()
        self._stopping = threading.Event()

    def start(self) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
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
        while True:
            try:
                self.inbox.put(item, timeout=PUT_POLL_S)
                return
            except queue.Full:
                if self._stopping.is_set():
                    # Not stored, not acked: the gate resends it (docs/protocol.md, section 8).
                    log.warning("stopping with a full queue: leaving a message to its resend")
                    return

    def publish_ack(self, site: str, device: str, payload: bytes) -> None:
        self.client.publish(topics.ack_topic(site, device), payload, qos=1)
