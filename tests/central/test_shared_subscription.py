"""Two `sitegate-central serve` on one PostgreSQL share the stream; each event is stored once."""

import threading
from pathlib import Path

import httpx
from factories import Gate, GateLink, provision
from sqlalchemy import func, select

from central.storage import Database, schema
from conftest import Central, Mosquitto, wait_until
from wireproto.transport import BrokerAddress, new_client

PER_GATE = 100


def stored_per_instance(central: Central) -> float:
    text = httpx.get(f"{central.base}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("sitegate_ingest_stored_total{")
    )


def test_two_instances_split_the_load_and_store_every_event_exactly_once(
    own_postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    db = Database(own_postgres_url)
    db.upgrade()
    gates = [Gate(f"site-{i}", "gate-1") for i in range(4)]
    provision(db, *gates)
    centrals = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        centrals.append(
            Central(
                tmp_path / name,
                broker_url,
                own_postgres_url,
                "--shared-group",
                "ingest",
                "--instance-id",
                f"shared-{name}-{tmp_path.name}",
            )
        )
    link = GateLink(broker_url, gates)
    try:
        for c in centrals:
            c.start()
        events = [g.attendance(f"W{n}") for n in range(PER_GATE) for g in gates]
        resent = events[::10]  # gates resending what they had no ack for yet
        link.publish(*events, *resent)

        wait_until(lambda: len(link.acked()) == len(events), 60, "an ack for every event")
        with db.engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(schema.events)).scalar_one()
            distinct = conn.execute(
                select(func.count(schema.attendance.c.event_id.distinct()))
            ).scalar_one()
        assert stored == distinct == len(events)
        # Every event was stored by exactly one instance; each resend was acked a duplicate.
        wait_until(
            lambda: sum(len(v) for v in link.acked().values()) == len(events) + len(resent),
            30,
            "the resends' acks",
        )
        verdicts = link.acked()
        assert all(v.count("stored") == 1 for v in verdicts.values())
        assert sum(v.count("duplicate") for v in verdicts.values()) == len(resent)
        shares = [stored_per_instance(c) for c in centrals]
        assert sum(shares) == len(events)
        assert all(s > len(events) / 4 for s in shares), shares  # both took a real share
    finally:
        link.close()
        for c in centrals:
            assert c.stop() == 0


def test_a_killed_instance_takes_no_share_of_what_is_sent_after_it_died(
    own_postgres_url: str, tmp_path: Path
) -> None:
    """Shared members' sessions are clean (central/ingest/consumer.py): once the broker has
    seen an instance's connection drop, the survivor receives every event sent after, acked
    without a single resend. (With persistent sessions the dead member kept a share: half of
    these events would wait for it, unacked, until their gates resent them.)"""
    broker = Mosquitto(tmp_path, "log_dest topic\nlog_type notice\n")
    broker.start()
    seen = _BrokerLog(broker.url)
    db = Database(own_postgres_url)
    db.upgrade()
    gates = [Gate(f"site-k{i}", "gate-1") for i in range(4)]
    provision(db, *gates)
    centrals = []
    for name in ("dies", "lives"):
        (tmp_path / name).mkdir()
        centrals.append(
            Central(
                tmp_path / name,
                broker.url,
                own_postgres_url,
                "--shared-group",
                "ingest",
                "--instance-id",
                f"k-{name}",
            )
        )
    link = GateLink(broker.url, gates)
    try:
        for c in centrals:
            c.start()
        before = [g.attendance(f"W{n}") for n in range(10) for g in gates]
        link.publish(*before)
        wait_until(lambda: len(link.acked()) == len(before), 60, "acks before the kill")
        assert all(stored_per_instance(c) > 0 for c in centrals)  # both are group members

        dead = centrals[0].process
        assert dead is not None
        dead.proc.kill()
        dead.proc.wait(10)
        wait_until(  # the broker has noticed: what it routes from now on is what is tested
            lambda: "Client sitegate-central-k-dies closed its connection" in seen.text(),
            30,
            "the broker to see the killed instance's connection drop",
        )
        after = [g.attendance(f"V{n}") for n in range(20) for g in gates]
        link.publish(*after)
        wait_until(
            lambda: len(link.acked()) == len(before) + len(after), 60, "an ack for every event"
        )
        assert stored_per_instance(centrals[1]) >= len(after)
    finally:
        link.close()
        seen.close()
        centrals[1].stop()
        centrals[0].stop()
        broker.stop()


class _BrokerLog:
    """The broker's own log, read from its ``$SYS/broker/log/…`` topics (``log_dest topic``)."""

    def __init__(self, url: str) -> None:
        self.lines: list[str] = []
        address = BrokerAddress.parse(url)
        self.client = new_client(address, "test-broker-log", clean_session=True)
        self.client.on_message = lambda _c, _u, msg: self.lines.append(msg.payload.decode())
        self.client.on_connect = lambda c, *_a: c.subscribe("$SYS/broker/log/#", 0)
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        wait_until(subscribed.is_set, 10, "the broker log's subscription")

    def text(self) -> str:
        return "\n".join(list(self.lines))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
