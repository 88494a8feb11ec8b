"""One gate floods central with garbage while another checks workers in: the others win.

The attack, through a real Mosquitto configured as docs/deployment.md says: a provisioned
device publishes ``SITEGATE_FLOOD_MESSAGES`` (default 50 000; 200 000 reproduces the issue)
garbage messages as fast as ``mosquitto_pub`` sends them (QoS 0), while another gate sends 25 valid
check-ins. Every valid one must be stored and acked, every garbage message counted (dead-
lettered or dropped by the per-device limit), and the database must grow by kilobytes, not
by a row per message. The figures are printed (``pytest -s``) for the closing note.
"""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import Gate, GateLink, provision
from sqlalchemy import func, select

from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from conftest import Mosquitto, have_mosquitto, wait_until

pytestmark = pytest.mark.skipif(
    not (have_mosquitto() and shutil.which("mosquitto_pub")), reason="needs mosquitto clients"
)

FLOOD = int(os.environ.get("SITEGATE_FLOOD_MESSAGES", "50000"))
# The broker settings of docs/deployment.md ("Broker settings that matter").
DEPLOYMENT_CONF = (
    "max_inflight_messages 100\nmax_queued_messages 200000\nmax_queued_bytes 268435456\n"
)
NOISY = Gate("site-a", "noisy")
QUIET = Gate("site-a", "quiet")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    m = Mosquitto(tmp_path, DEPLOYMENT_CONF)
    m.start()
    yield m
    m.stop()


def db_bytes(db: Database, path: Path) -> int:
    """The database's size once its WAL is folded in (the WAL alone is reused, not grown)."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def total(db: Database, column: object) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(column), 0))).scalar_one())  # type: ignore[arg-type]


def test_a_flooding_gate_cannot_crowd_out_the_others(tmp_path: Path, broker: Mosquitto) -> None:
    path = tmp_path / "central.db"
    db = Database(str(path))
    db.upgrade()
    provision(db, NOISY, QUIET)
    service = CentralService(
        CentralSettings(db=str(path), broker=broker.url, instance_id=f"flood-{os.getpid()}")
    )
    service.start()
    try:
        assert service.consumer is not None
        wait_until(service.consumer.connected.is_set, 20, "central subscribed")
        before = db_bytes(db, path)
        started = time.monotonic()
        # The attacker: the same garbage at QoS 0 as fast as the C client sends it.
        flood = subprocess.Popen(
            ["mosquitto_pub", "-h", "127.0.0.1", "-p", broker.url.rsplit(":", 1)[1],
             "-q", "0", "--repeat", str(FLOOD), "-t", NOISY.attendance().topic,
             "-m", "garbage " + "x" * 40],
        )  # fmt: skip
        link = GateLink(broker.url, [QUIET])
        for n in range(25):  # while the flood is on
            link.publish(QUIET.attendance(f"W{n}"))
        wait_until(lambda: len(link.acked()) == 25, 120, "all 25 valid events acked")
        settled = time.monotonic() - started
        flooding = flood.poll() is None  # the valid events got through during the flood
        assert flood.wait(300) == 0
        flood_seconds = time.monotonic() - started
        link.close()
        metric = service.metrics.registry.get_sample_value

        def accounted() -> bool:
            """Every garbage message central received is counted (QoS 0: the broker may
            drop some on the way, which is no harm to anyone but the flooder)."""
            before = metric("sitegate_ingest_received_total")
            time.sleep(0.5)
            received = metric("sitegate_ingest_received_total")
            counted = total(db, schema.dead_letter_counts.c.count)
            return received == before and counted == int(received or 0) - 25

        wait_until(accounted, 120, "every message received to be counted")
        received = int(metric("sitegate_ingest_received_total") or 0) - 25
        growth = db_bytes(db, path) - before

        assert sorted(v[0] for v in link.acked().values()) == ["stored"] * 25
        assert db.count_rows(schema.events) == 25
        assert db.count_rows(schema.dead_letters) <= 10  # one reason, one hour
        assert received > FLOOD // 2  # the flood did reach central
        rate_limited = metric("sitegate_ingest_rate_limited_total") or 0
        print(
            f"\nflood: {FLOOD} garbage messages sent in {flood_seconds:.1f} s, {received} "
            f"reached central; 25/25 valid "
            f"stored and acked {settled:.1f} s after the flood began "
            f"({'while it went on' if flooding else 'after it ended'}); {int(rate_limited)} "
            f"dropped by the device limit, {received - int(rate_limited)} dead-lettered "
            f"({db.count_rows(schema.dead_letters)} rows kept, "
            f"{db.count_rows(schema.dead_letter_counts)} count rows); "
            f"database grew {growth / 1e6:.2f} MB"
        )
        assert growth < 1_000_000
    finally:
        service.stop()
