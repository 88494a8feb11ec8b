"""``site_days`` kept by increments at ingest equals a recount, however events repeat.

central/attendance/presence.py counts only the first check-in of a worker on a site and local
date (its row in ``site_day_workers``); these events repeat workers within a batch, across
batches and across days, and the kept counts must equal :func:`presence.rebuild`'s.
"""

from factories import local, store_punches
from sqlalchemy import select

from central.attendance import presence
from central.storage import Database, schema

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
