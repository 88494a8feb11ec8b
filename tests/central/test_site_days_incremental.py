"""``site_days`` kept by increments at ingest equals a recount, however events repeat.

central/storage/presence.py counts only the first check-in of a worker on a site and local
date (its row in ``site_day_workers``); these events repeat workers within a batch, across
batches and across days, and the kept counts must equal :func:`presence.rebuild`'s.
"""

import threading

from factories import local, store_punches, stored_without_refresh
from sqlalchemy import Connection, delete, select, text

from central.storage import Database, presence, schema
from conftest import wait_until

SITE = "site-inc"


def _site_days(db: Database) -> list[tuple[str, str, int, int]]:
    sd = schema.site_days.c
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(sd.site, sd.local_date, sd.workers, sd.registered)
            .where(sd.site == SITE)
            .order_by(sd.local_date)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def test_repeated_check_ins_count_once_and_equal_a_rebuild(database: Database) -> None:
    day, next_day = "2025-06-09", "2025-06-10"
    store_punches(  # W1 in and out, W2 in: two workers
        database,
        SITE,
        [
            ("W1", "in", local(f"{day} 08:00")),
            ("W1", "out", local(f"{day} 17:00")),
            ("W2", "in", local(f"{day} 08:05")),
        ],
    )
    assert _site_days(database) == [(SITE, day, 2, 0)]
    store_punches(  # W1 again the same day, W3 new; W1 on the next day
        database,
        SITE,
        [
            ("W1", "in", local(f"{day} 18:00")),
            ("W3", "in", local(f"{day} 09:00")),
            ("W1", "in", local(f"{next_day} 08:00")),
        ],
    )
    kept = _site_days(database)
    assert kept == [(SITE, day, 3, 0), (SITE, next_day, 1, 0)]
    with database.begin() as conn:
        presence.rebuild(conn)
    assert _site_days(database) == kept


def test_two_instances_adding_the_same_check_in_at_once_count_it_once(
    postgres_url: str,
) -> None:
    """On PostgreSQL: the second instance's insert of the same (site, date, worker) waits for
    the first's commit, then adds nothing, so the worker is counted once."""
    day = "2025-06-11"
    db = Database(postgres_url)
    try:
        with db.begin() as conn:
            for table in (schema.site_days, schema.site_day_workers):
                conn.execute(delete(table).where(table.c.site == SITE))
        failures: list[BaseException] = []
        first = db.engine.connect()
        first.begin()
        presence.add(first, [(SITE, "W1", day)])  # holds the new row's key, uncommitted

        def second() -> None:
            try:
                with db.begin() as conn:
                    presence.add(conn, [(SITE, "W1", day)])
            except BaseException as exc:
                failures.append(exc)

        other = threading.Thread(target=second)
        other.start()
        with db.engine.connect() as watcher:  # wait until the second is blocked on the first
            wait_until(
                lambda: not other.is_alive() or _waits_on_site_day_workers(watcher),
                30,
                "the second add waiting on the first's row",
            )
        assert other.is_alive(), "the second add did not wait for the first's commit"
        first.commit()
        first.close()
        other.join(30)
        assert failures == []
        assert [row for row in _site_days(db) if row[1] == day] == [(SITE, day, 1, 0)]
    finally:
        db.close()


def _waits_on_site_day_workers(conn: Connection) -> bool:
    waiting = conn.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO site_day_workers%'"
        )
    ).scalar_one()
    conn.commit()  # a fresh snapshot of pg_stat_activity on the next call
    return bool(waiting)


def test_a_check_in_is_counted_with_its_event_even_when_nothing_runs_after_the_commit(
    database: Database,
) -> None:
    """The process dies right after the store commits: the day's refresh never runs, and the
    worker is still counted (the count commits with the event)."""
    day = "2025-06-12"
    stored_without_refresh(database, SITE, ("W7", "in", f"{day} 08:00"))
    assert _site_days(database) == [(SITE, day, 1, 0)]
    stored_without_refresh(database, SITE, ("W7", "out", f"{day} 17:00"))
    assert _site_days(database) == [(SITE, day, 1, 0)]
