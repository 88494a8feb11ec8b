"""Broker addresses and paho client set-up, shared by gates and central.

``mqtt://[user[:password]@]host[:port]`` or ``mqtts://…`` (TLS, port 8883 by default).
Both sides build their client here so protocol level, keepalive and TLS rules are the same.
"""

import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt


class BadBrokerUrl(ValueError):
    """A broker URL that cannot be used."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None

    @classmethod
    def parse(cls, url: str, ca_file: str | None = None) -> "BrokerAddress":
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise BadBrokerUrl(f"expected mqtt://host:port or mqtts://host:port, got {url!r}")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            ca_file=ca_file,
        )

    def redacted(self) -> str:
        """For logs: never the password."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def new_client(address: BrokerAddress, client_id: str, *, clean_session: bool) -> mqtt.Client:
    """A paho 2.x client (callback API v2, MQTT 3.1.1) configured for ``address``.

    MQTT 3.1.1 because every broker we support (Mosquitto, EMQX, the embedded amqtt) speaks
    it, and shared subscriptions (``$share/group/…``) work on 3.1.1 clients in Mosquitto.
    """
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(ca_certs=address.ca_file, cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client
