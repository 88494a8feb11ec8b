"""One gate cannot crowd out the others: per-device limits, collapsed dead letters, retention."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import Gate, writer_for
from sqlalchemy import func, select

from central.ingest.dead_letters import RATE_LIMITED
from central.ingest.limits import DeviceLimiter
from central.ingest.retention import Retention, prune
from central.ingest.validate import Inbound
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from central.storage.database import DeadLetter
from conftest import wait_until

NOISY = Gate("site-a", "noisy")
QUIET = Gate("site-a", "quiet")


def test_a_device_over_its_budget_is_dropped_and_others_are_not() -> None:
    limiter = DeviceLimiter(rate=1, burst=100, byte_rate=0, byte_burst=1)
    noisy = NOISY.attendance()
    admitted = sum(limiter.admit(noisy.topic, noisy.payload) for _ in range(1000))
    assert 100 <= admitted <= 102  # the burst, plus what a second of refill adds
    quiet = QUIET.attendance()
    assert all(limiter.admit(quiet.topic, quiet.payload) for _ in range(50))
    dropped = limiter.drain()
    assert list(dropped) == [("site-a", "noisy")]
    assert dropped[("site-a", "noisy")].count == 1000 - admitted
    assert limiter.drain() == {}  # drained once


def test_the_byte_budget_stops_a_device_sending_large_messages() -> None:
    limiter = DeviceLimiter(rate=0, burst=1, byte_rate=1, byte_burst=100_000)
    big = b"x" * 60_000
    assert limiter.admit("sitegate/v1/site-a/noisy/events/attendance", big)
    assert not limiter.admit("sitegate/v1/site-a/noisy/events/attendance", big)
    assert limiter.admit("sitegate/v1/site-a/quiet/events/attendance", big)


def count_rows(db: Database, table: object) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]


def counts(db: Database) -> dict[tuple[str, str, str], int]:
    c = schema.dead_letter_counts.c
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(c.site, c.device, c.reason, func.sum(c.count)).group_by(
                c.site, c.device, c.reason
            )
        )
        return {(r[0], r[1], r[2]): int(r[3]) for r in rows}


def test_a_flood_of_garbage_becomes_a_count_not_rows(database: Database) -> None:
    writer, published = writer_for(database, NOISY, QUIET)
    garbage = [Inbound(NOISY.attendance().topic, b"not json %d" % n) for n in range(3000)]
    unknown = [Inbound("sitegate/v1/nowhere/nobody/events/attendance", b"{}")] * 50
    valid = [QUIET.attendance(f"W{n}") for n in range(25)]
    for start in range(0, 3000, 500):  # batches, as the writer takes them
        writer.process(garbage[start : start + 500])
    writer.process(unknown + valid)

    assert count_rows(database, schema.events) == 25
    assert count_rows(database, schema.dead_letters) == 10 + 10  # rows per sender-hour cap
    assert counts(database) == {
        ("site-a", "noisy", "malformed_json"): 3000,
        ("-", "-", "unsupported_version"): 50,  # unprovisioned senders share one key
    }
    assert sorted(a.acks[0].result for a in QUIET.acks(published)) == ["stored"]


def test_what_the_limiter_dropped_is_counted_per_device(database: Database) -> None:
    writer, _ = writer_for(database, NOISY)
    writer.limiter = DeviceLimiter(rate=0.001, burst=5, byte_rate=0, byte_burst=1)
    message = NOISY.attendance()
    admitted = [writer.limiter.admit(message.topic, message.payload) for _ in range(1005)]
    assert admitted.count(True) == 5
    writer._store_drops()
    assert counts(database) == {("site-a", "noisy", RATE_LIMITED): 1000}
    assert writer.metrics.registry.get_sample_value("sitegate_ingest_rate_limited_total") == 1000
    assert count_rows(database, schema.dead_letters) == 0  # not one row per message


def test_retention_prunes_by_age_and_row_count(database: Database) -> None:
    now = datetime.now(UTC)
    old = [DeadLetter("t", "bad_topic", "", b"x")] * 30
    database.store([], old, now - timedelta(days=31))
    database.store([], [DeadLetter("t", "bad_topic", "", b"y")] * 30, now - timedelta(days=1))
    database.store([], [DeadLetter("t", "bad_topic", "", b"z")] * 30, now)
    assert count_rows(database, schema.dead_letters) == 90

    rows, _ = prune(database, Retention(timedelta(days=30), max_rows=40), now)

    assert rows == 30 + 20
    d = schema.dead_letters.c
    with database.engine.connect() as conn:
        kept = conn.execute(select(d.payload, func.count()).group_by(d.payload)).all()
    assert {bytes(p): n for p, n in kept} == {b"y": 10, b"z": 30}  # the newest 40


def test_retention_prunes_old_counts(database: Database) -> None:
    writer, _ = writer_for(database, NOISY)
    now = datetime.now(UTC)
    old = now - timedelta(days=200)
    writer.ledger.split([], old)
    _, old_counts = writer.ledger.split([DeadLetter(NOISY.attendance().topic, "x", "", b"")], old)
    database.store([], [], old, dead_counts=old_counts)
    _, new_counts = writer.ledger.split([DeadLetter(NOISY.attendance().topic, "x", "", b"")], now)
    database.store([], [], now, dead_counts=new_counts)
    assert count_rows(database, schema.dead_letter_counts) == 2
    _, pruned = prune(database, Retention(counts_max_age=timedelta(days=180)), now)
    assert pruned == 1 and count_rows(database, schema.dead_letter_counts) == 1


def test_serve_prunes_dead_letters_on_its_timer(tmp_path: Path) -> None:
    path = str(tmp_path / "central.db")
    db = Database(path)
    db.upgrade()
    now = datetime.now(UTC)
    db.store([], [DeadLetter("t", "bad_topic", "", b"old")] * 5, now - timedelta(days=40))
    db.store([], [DeadLetter("t", "bad_topic", "", b"new")] * 5, now)
    service = CentralService(
        CentralSettings(db=path, broker="mqtt://127.0.0.1:1", retention_interval_s=0.2)
    )
    service.start()  # no broker answers: ingest waits, retention runs anyway
    try:
        wait_until(lambda: count_rows(db, schema.dead_letters) == 5, 20, "old rows pruned")
        db.store([], [DeadLetter("t", "bad_topic", "", b"later")] * 3, now - timedelta(days=31))
        wait_until(lambda: count_rows(db, schema.dead_letters) == 5, 20, "pruned again")
    finally:
        service.stop()
