"""The on-site summary (``site_days``) stays right when several central instances refresh the
same site and day at once (central/attendance/presence.py).

Events are only ever added, so a recount never falls: the refresh is an upsert that keeps the
larger count. A plain delete-then-insert raced between two instances into a duplicate key
(seen in benchmarks/rush.py with two instances on PostgreSQL), and a recount read before the
other instance's commit could overwrite a newer one.
"""

import threading

import pytest
from factories import local, store_punches
from sqlalchemy import delete, select, text

from central.attendance import presence
from central.storage import Database, schema

SITE, DAY = "site-z", "2025-06-09"


def _kept(db: Database) -> tuple[int, int]:
    sd = schema.site_days.c
    with db.engine.connect() as conn:
        row = conn.execute(
            select(sd.workers, sd.registered).where(sd.site == SITE, sd.local_date == DAY)
        ).one()
    return row.workers, row.registered


def test_a_stale_recount_never_lowers_the_kept_count(database: Database) -> None:
    punches = [(w, "in", local(f"{DAY} 08:0{i}")) for i, w in enumerate(("W1", "W2", "W3"))]
    store_punches(database, SITE, punches)
    assert _kept(database) == (3, 0)
    # a recount that read the events before the third one was committed (what another
    # instance's slower refresh sees): simulated by recounting over two of them
    a = schema.attendance.c
    with database.begin() as conn:
        conn.execute(delete(schema.attendance).where(a.worker_id == "W3"))
        presence.refresh(conn, [(SITE, DAY)])
        assert conn.execute(select(schema.site_days.c.workers)).scalar_one() == 3
        conn.rollback()
    store_punches(database, SITE, [("W4", "in", local(f"{DAY} 09:00"))])
    assert _kept(database) == (4, 0)  # a new worker still raises it


def test_two_instances_refreshing_the_same_day_at_once_both_commit(
    postgres_url: str,
) -> None:
    """On PostgreSQL: the second refresh waits on the first's row and then updates it."""
    db = Database(postgres_url)
    try:
        with db.begin() as conn:
            conn.execute(delete(schema.site_days))
            conn.execute(delete(schema.attendance).where(schema.attendance.c.site == SITE))
        store_punches(db, SITE, [("W1", "in", local(f"{DAY} 08:00"))])
        with db.begin() as conn:
            conn.execute(delete(schema.site_days))  # as before the first refresh
        failures: list[BaseException] = []
        first = db.engine.connect()
        first.begin()
        presence.refresh(first, [(SITE, DAY)])  # holds the new row's key, uncommitted

        def second() -> None:
            try:
                with db.begin() as conn:
                    presence.refresh(conn, [(SITE, DAY)])
            except BaseException as exc:
                failures.append(exc)

        other = threading.Thread(target=second)
        other.start()
        with db.engine.connect() as watcher:  # wait until the second is blocked on the first
            for _ in range(600):
                waiting = watcher.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO site_days%'"
                    )
                ).scalar_one()
                if waiting or not other.is_alive():
                    break
                watcher.commit()
                threading.Event().wait(0.05)
            else:  # pragma: no cover
                pytest.fail("the second refresh never reached the row")
        first.commit()
        first.close()
        other.join(30)
        assert failures == []
        assert _kept(db) == (1, 0)
    finally:
        db.close()
