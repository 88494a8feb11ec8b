"""Two `sitegate-central serve` on one PostgreSQL share the stream; each event is stored once."""

from pathlib import Path

import httpx
from factories import Gate, GateLink, provision
from sqlalchemy import func, select

from central.storage import Database, schema
from conftest import Central, wait_until

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
