"""Nobody forged: per-device broker accounts and ACLs, TLS, signatures and the replay window.

A real Mosquitto runs with the password and ACL files that ``sitegate-central devices
broker-files`` generated and a TLS listener whose throwaway CA and certificate the test makes
with ``cryptography``; central and a gate connect over TLS with the credentials
``devices add`` and ``devices service-account`` wrote.
"""

import getpass
import ipaddress
import os
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import Central, Mosquitto, Process, free_port, have_mosquitto, run_cli, wait_until
from wireproto import Envelope, encode_event, new_event_id, topics
from wireproto.messages import AttendanceBody

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="needs the mosquitto binary")

SITE = "site-s"
ZONE = ZoneInfo("Asia/Shanghai")
FAULT_GATE = Path(__file__).with_name("fault_gate.py")


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(workdir: Path, cn: str) -> tuple[Path, ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = workdir / f"{cn}.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key, cert


def make_server_cert(
    workdir: Path, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate
) -> tuple[Path, Path]:
    """A broker certificate for 127.0.0.1 (an IP SAN: clients check the host name)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("sitegate test broker"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = workdir / "broker.crt", workdir / "broker.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Site:
    tmp: Path
    broker: Mosquitto
    tls_port: int
    ca: Path
    central: Central
    gates: dict[str, dict[str, object]]  # device → its provisioned YAML

    def client(self, user: str, password: str | None = None) -> "DeviceClient":
        """A device's account (by device id) or, with ``password``, any account."""
        cfg = self.gates.get(user, {}).get("broker", {"username": user})
        return DeviceClient(self, cfg["username"], password or cfg["password"])  # type: ignore[index]

    @property
    def central_password(self) -> str:
        return (self.tmp / "central.password").read_text().strip()

    def secret(self, device: str) -> bytes:
        return bytes.fromhex(self.gates[device]["secret"])  # type: ignore[arg-type]


class DeviceClient:
    """A raw MQTT connection with a device's credentials over TLS, to try what gates must not."""

    def __init__(self, site: Site, username: str, password: str) -> None:
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{username}-{os.urandom(3).hex()}"
        )
        self.client.username_pw_set(username, password)
        self.client.tls_set(ca_certs=str(site.ca), cert_reqs=ssl.CERT_REQUIRED)
        self.connack: object = None
        self.suback: list[object] | None = None
        self.done = threading.Event()
        self.subscribed = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = lambda _c, _u, msg: self.received.append(msg.topic)
        self.received: list[str] = []
        self.client.connect("127.0.0.1", site.tls_port)
        self.client.loop_start()
        assert self.done.wait(10), "no CONNACK"

    def _on_connect(self, _c, _u, _f, reason_code, _p) -> None:  # type: ignore[no-untyped-def]
        self.connack = reason_code
        self.done.set()

    def _on_subscribe(self, _c, _u, _mid, codes, _p) -> None:  # type: ignore[no-untyped-def]
        self.suback = list(codes)
        self.subscribed.set()

    @property
    def accepted(self) -> bool:
        return not self.connack.is_failure  # type: ignore[attr-defined]

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1. Mosquitto 2.0 may drop a TLS connection after a denied publish,
        a moment later; paho reconnects. A publish that meets that drop is sent again once
        connected (events are idempotent at central, so a second copy changes nothing)."""

        def sent() -> bool:
            if not self.client.is_connected():
                return False
            try:
                self.client.publish(topic, payload, qos=1).wait_for_publish(10)
            except RuntimeError:  # the connection dropped under this publish
                return False
            return True

        wait_until(sent, 30, f"a publish to {topic}")

    def subscribe(self, topic: str) -> list[object]:
        self.subscribed.clear()
        self.client.subscribe(topic, qos=1)
        assert self.subscribed.wait(10), "no SUBACK"
        return self.suback or []

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def event(device: str, secret: bytes, worker: str, age: timedelta = timedelta(0)) -> bytes:
    at = datetime.now(ZONE) - age
    body = AttendanceBody(worker_id=worker, direction="in", captured_at=at)
    env = Envelope(id=new_event_id(), site=SITE, device=device, seq=1, created_at=at, body=body)
    return encode_event(env, secret)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    db = str(tmp_path / "central.db")
    ca, ca_key, ca_cert = make_ca(tmp_path, "sitegate-test-ca")
    cert, key = make_server_cert(tmp_path, ca_key, ca_cert)
    tls_port = free_port()
    url = f"mqtts://127.0.0.1:{tls_port}"
    gates = {}
    for device in ("gate-1", "gate-2"):
        out = tmp_path / f"{device}.yaml"
        result = run_cli(
            "sitegate-central", "devices", "add", "--site", SITE, "--device", device,
            "--db", db, "--broker-url", url, "--ca-file", str(ca), "--out", str(out),
        )  # fmt: skip
        gates[device] = yaml.safe_load(out.read_text())
        # The command's output names the file, never the secret or the password.
        assert gates[device]["secret"] not in result.stdout + result.stderr
        assert gates[device]["broker"]["password"] not in result.stdout + result.stderr
    central_pw = tmp_path / "central.password"
    run_cli(
        "sitegate-central", "devices", "service-account", "--user", "central",
        "--password-file", str(central_pw), "--db", db,
    )  # fmt: skip
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    run_cli(
        "sitegate-central", "devices", "broker-files", "--passwd", str(passwd),
        "--acl", str(acl), "--db", db,
    )  # fmt: skip
    broker = Mosquitto(
        tmp_path,
        # `user`: a broker started as root would switch to `mosquitto` and lose our 0600 files.
        f"user {getpass.getuser()}\n"
        f"allow_anonymous false\npassword_file {passwd}\nacl_file {acl}\n"
        f"listener {tls_port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n",
    )
    broker.start()
    central = Central(
        tmp_path,
        f"mqtts://central@127.0.0.1:{tls_port}",
        db,
        "--broker-ca-file", str(ca),
        "--broker-password-file", str(central_pw),
    )  # fmt: skip
    central.start()
    yield Site(tmp_path, broker, tls_port, ca, central, gates)
    central.stop()
    broker.stop()


def dead_letters(site: Site) -> list[tuple[str, str]]:
    return [(d["topic"], d["reason"]) for d in site.central.get("/api/v1/dead-letters")]  # type: ignore[union-attr]


def stored_workers(site: Site) -> list[str]:
    return sorted(r["worker_id"] for r in site.central.get("/api/v1/attendance", site=SITE))  # type: ignore[union-attr]


def test_a_provisioned_gate_works_over_tls_with_its_own_account(site: Site) -> None:
    config = site.tmp / "gate-1.yaml"
    data = yaml.safe_load(config.read_text())
    data.update(outbox=str(site.tmp / "outbox.db"), resend_after_s=1)
    config.write_text(yaml.safe_dump(data))
    gate = Process(["python", str(FAULT_GATE), str(config), "20", "100"], site.tmp / "gate.log")
    try:
        wait_until(lambda: len(stored_workers(site)) == 20, 60, "20 events over TLS")
        device = wait_until(
            lambda: [d for d in site.central.get("/api/v1/devices") if d["status"]],  # type: ignore[union-attr]
            30,
            "the gate's status",
        )
        assert [(d["device"], d["status"]["state"]) for d in device] == [("gate-1", "online")]
    finally:
        assert gate.stop() == 0, gate.output()
    log = site.central.process.output() + gate.output()  # type: ignore[union-attr]
    for device in ("gate-1", "gate-2"):
        assert site.gates[device]["secret"] not in log
        assert site.gates[device]["broker"]["password"] not in log  # type: ignore[index]
    assert (site.tmp / "central.password").read_text().strip() not in log


def test_the_broker_refuses_strangers_and_confines_each_device_to_its_own_topics(
    site: Site,
) -> None:
    refused = site.client("gate-1", password="wrong")
    refused.close()
    assert not refused.accepted
    gate1 = site.client("gate-1")
    assert gate1.accepted
    try:
        # Reading: Mosquitto grants a 3.1.1 subscription but delivers only what the ACL lets
        # the user read. gate-1 listens to everything; of what central publishes for both
        # gates, only gate-1's own ack reaches it (the last one: delivery keeps order).
        gate1.subscribe("sitegate/v1/#")
        central = site.client("central", password=site.central_password)
        try:
            for topic in (
                topics.ack_topic(SITE, "gate-2"),
                topics.command_topic(SITE, "gate-2", "config"),
                topics.ack_topic(SITE, "gate-1"),
            ):
                central.publish(topic, b"{}")
        finally:
            central.close()
        wait_until(lambda: gate1.received, 30, "gate-1's own ack")
        assert gate1.received == [topics.ack_topic(SITE, "gate-1")]

        # Publishing as gate-2 (its topic, even with gate-2's valid signature): dropped by the
        # broker. The later event on gate-1's own topic is stored, so the first would have
        # reached central by then had the broker let it through.
        forged = event("gate-2", site.secret("gate-2"), "W-FORGED")
        gate1.publish(topics.event_topic(SITE, "gate-2", "attendance"), forged)
        gate1.publish(
            topics.event_topic(SITE, "gate-1", "attendance"),
            event("gate-1", site.secret("gate-1"), "W-OWN"),
        )
        wait_until(lambda: stored_workers(site) == ["W-OWN"], 30, "gate-1's own event")
        assert dead_letters(site) == []
    finally:
        gate1.close()

    # A client that does not trust the broker's CA refuses the connection.
    other_ca, _, _ = make_ca(site.tmp, "some-other-ca")
    stranger = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="t-stranger")
    stranger.tls_set(ca_certs=str(other_ca), cert_reqs=ssl.CERT_REQUIRED)
    with pytest.raises(ssl.SSLCertVerificationError):
        stranger.connect("127.0.0.1", site.tls_port)


def test_central_dead_letters_other_devices_signatures_and_old_replays(site: Site) -> None:
    gate1 = site.client("gate-1")
    own_topic = topics.event_topic(SITE, "gate-1", "attendance")
    try:
        # gate-1's account, gate-1's topic, but signed with gate-2's secret.
        gate1.publish(own_topic, event("gate-1", site.secret("gate-2"), "W-BORROWED"))
        # A correctly signed event from 40 days ago, replayed now.
        old = event("gate-1", site.secret("gate-1"), "W-OLD", age=timedelta(days=40))
        gate1.publish(own_topic, old)
        # A fresh event, then the very same bytes again: stored once.
        fresh = event("gate-1", site.secret("gate-1"), "W-FRESH")
        gate1.publish(own_topic, fresh)
        gate1.publish(own_topic, fresh)
        wait_until(lambda: len(dead_letters(site)) == 2, 30, "two dead letters")
        wait_until(lambda: stored_workers(site) == ["W-FRESH"], 30, "the fresh event")
    finally:
        gate1.close()
    assert sorted(reason for _, reason in dead_letters(site)) == [
        "bad_signature",
        "outside_replay_window",
    ]
    assert stored_workers(site) == ["W-FRESH"]
