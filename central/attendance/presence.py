"""Who was on site per day: distinct workers per site and local date, kept beside the events.

The overview's 30-day trend and real-name rate would otherwise count distinct workers over
every check-in of a province's month (hundreds of thousands of rows) on each load. Instead
``site_days`` holds, per site and local date, the distinct workers with a check-in and how many
of them are registered (have an employment) on that project. :func:`refresh` recounts the
(site, date) pairs that newly stored events touch, from the events themselves (so a late or
repeated event can never make it drift); it runs after every ingest batch with the attendance
days (central/attendance/refresh.py). :func:`rebuild` recounts everything, after a restore and
for the test that proves the table equals a direct count.
"""

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, case, delete, exists, func, select, tuple_

from central.storage import schema
from central.storage.bulk import greater, upsert_insert


def _counts() -> tuple[ColumnElement[int], ColumnElement[int]]:
    """Distinct workers, and distinct workers employed on the site's project."""
    a, e = schema.attendance.c, schema.employments.c
    registered = exists().where(e.project_id == a.site, e.worker_id == a.worker_id)
    return (
        func.count(func.distinct(a.worker_id)),
        func.count(func.distinct(case((registered, a.worker_id), else_=None))),
    )


def refresh(conn: Connection, touched: Iterable[tuple[str, str]]) -> None:
    """Recount ``(site, local date)`` pairs inside the caller's transaction."""
    pairs = sorted(set(touched))
    if not pairs:
        return
    a = schema.attendance.c
    workers, registered = _counts()
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        counted = upsert_insert(conn, schema.site_days).from_select(
            ["site", "local_date", "workers", "registered"],
            select(a.site, a.local_date, workers, registered)
            .where(tuple_(a.site, a.local_date).in_(chunk))
            .group_by(a.site, a.local_date),
        )
        # Events are only ever added, so a recount never falls: keeping the larger count
        # makes two instances refreshing the same day at once agree (a plain delete and
        # insert raced into a duplicate key, and a recount read before the other's commit
        # could overwrite a newer one).
        conn.execute(
            counted.on_conflict_do_update(
                index_elements=["site", "local_date"],
                set_={
                    "workers": greater(conn, schema.site_days.c.workers, counted.excluded.workers),
                    "registered": greater(
                        conn, schema.site_days.c.registered, counted.excluded.registered
                    ),
                },
            )
        )


def rebuild(conn: Connection) -> None:
    """Recount every site and date from the events (inside the caller's transaction)."""
    a = schema.attendance.c
    workers, registered = _counts()
    conn.execute(delete(schema.site_days))
    conn.execute(
        schema.site_days.insert().from_select(
            ["site", "local_date", "workers", "registered"],
            select(a.site, a.local_date, workers, registered).group_by(a.site, a.local_date),
        )
    )
