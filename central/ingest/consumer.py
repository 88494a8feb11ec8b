"""The MQTT side of central: subscribe to every gate's events and status, publish acks."""

import logging
import queue
import threading

import paho.mqtt.client as mqtt

from central.ingest.validate import Inbound
from wireproto import topics
from wireproto.transport import BrokerAddress, new_client

log = logging.getLogger(__name__)


class MqttConsumer:
    """Hands every message to the bounded ``inbox``; blocks (backpressure) when it is full.

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
    ) -> None:
        self.address = address
        self.inbox = inbox
        self.filters = [topics.ALL_EVENTS, topics.ALL_STATUS]
        if shared_group:
            self.filters = [topics.shared(f, shared_group) for f in self.filters]
        self.client = new_client(address, client_id, clean_session=False)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.connected = threading.Event()

    def start(self) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def _on_connect(self, client: mqtt.Client, _u, _flags, reason_code, _props) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.error("broker %s refused central: %s", self.address.redacted(), reason_code)
            return
        client.subscribe([(f, 1) for f in self.filters])
        self.connected.set()
        log.info("central connected to %s", self.address.redacted())

    def _on_disconnect(self, _c, _u, _flags, reason_code, _props) -> None:  # type: ignore[no-untyped-def]
        self.connected.clear()
        log.warning("central lost the broker: %s", reason_code)

    def _on_message(self, _c, _u, message: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        self.inbox.put(Inbound(message.topic, bytes(message.payload)))

    def publish_ack(self, site: str, device: str, payload: bytes) -> None:
        self.client.publish(topics.ack_topic(site, device), payload, qos=1)
