"""Who was on site per day: distinct workers per site and local date, kept beside the events.

The overview's 30-day trend and real-name rate would otherwise count distinct workers over
every check-in of a province's month (hundreds of thousands of rows) on each load. Instead
``site_days`` holds, per site and local date, the distinct workers with a check-in and how many
of them are registered (have an employment) on that project.

Ingest keeps it with :func:`add`, inside the transaction that stores the batch's events
(central/storage/database.py ``store``), so the count commits with its evidence: a process that
dies after the commit loses no worker from the day (when it ran after the commit, with the
days' refresh, nothing ever put such a worker back). Each (site, date, worker) goes into
``site_day_workers`` once (its primary key; ``ON CONFLICT DO NOTHING``), and only the rows that
insert really added are counted into ``site_days`` as increments. The cost is the batch's, not
the day's: recounting each touched (site, date) from all of that day's attendance (what ingest
did before) took 0.1–0.6 s per batch on PostgreSQL in a province's morning rush
(benchmarks/rush.py), growing as the morning filled the day, and held every ack behind it.
Exact with several instances at once: the second insert of one worker's day waits for the
first's commit and then adds nothing, so a worker is counted once however the instances race; a
late or repeated event adds nothing either. Whether a worker is registered is judged when their
first check-in of the day is counted (as a recount at that moment would).
:func:`rebuild` recounts everything from the events (after a restore, and for the test that
proves the table equals a direct count).
"""

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, case, delete, exists, func, select

from central.storage import schema
from central.storage.bulk import upsert_insert


def _counts() -> tuple[ColumnElement[int], ColumnElement[int]]:
    """Distinct workers, and distinct workers employed on the site's project."""
    a, e = schema.attendance.c, schema.employments.c
    registered = exists().where(e.project_id == a.site, e.worker_id == a.worker_id)
    return (
        func.count(func.distinct(a.worker_id)),
        func.count(func.distinct(case((registered, a.worker_id), else_=None))),
    )


def add(conn: Connection, touched: Iterable[tuple[str, str, str]]) -> None:
    """Count newly stored check-ins ``(site, worker_id, local date)`` into ``site_days``.

    Inside the caller's transaction. Rows go in sorted order so two instances adding
    overlapping batches take their row locks in the same order (no deadlock).
    """
    triples = sorted({(site, day, worker) for site, worker, day in touched})
    if not triples:
        return
    sdw = schema.site_day_workers
    # One statement compiled once and cached (SQLAlchemy batches the rows into multi-row
    # VALUES itself, RETURNING included); a .values(rows) list was compiled anew each batch.
    stmt = (
        upsert_insert(conn, sdw)
        .on_conflict_do_nothing(index_elements=["site", "local_date", "worker_id"])
        .returning(sdw.c.site, sdw.c.local_date, sdw.c.worker_id)
    )
    rows = [{"site": s, "local_date": d, "worker_id": w} for s, d, w in triples]
    new = [(r[0], r[1], r[2]) for r in conn.execute(stmt, rows)]
    if new:
        _count_in(conn, new)


def _count_in(conn: Connection, new: list[tuple[str, str, str]]) -> None:
    """Add first check-ins of the day ``(site, date, worker)`` to the per-day counts."""
    e = schema.employments.c
    sites = sorted({s for s, _d, _w in new})
    workers = sorted({w for _s, _d, w in new})
    employed = {
        (project, worker)
        for project, worker in conn.execute(
            select(e.project_id, e.worker_id)
            .where(e.project_id.in_(sites), e.worker_id.in_(workers))
            .distinct()
        )
    }
    counts: dict[tuple[str, str], list[int]] = {}
    for site, day, worker in new:
        count = counts.setdefault((site, day), [0, 0])
        count[0] += 1
        count[1] += (site, worker) in employed
    sd = schema.site_days
    rows = [
        {"site": s, "local_date": d, "workers": n, "registered": r}
        for (s, d), (n, r) in sorted(counts.items())
    ]
    stmt = upsert_insert(conn, sd)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["site", "local_date"],
            set_={
                "workers": sd.c.workers + stmt.excluded.workers,
                "registered": sd.c.registered + stmt.excluded.registered,
            },
        ),
        rows,
    )


def rebuild(conn: Connection) -> None:
    """Recount every site and date from the events (inside the caller's transaction)."""
    a = schema.attendance.c
    workers, registered = _counts()
    conn.execute(delete(schema.site_day_workers))
    conn.execute(
        schema.site_day_workers.insert().from_select(
            ["site", "local_date", "worker_id"],
            select(a.site, a.local_date, a.worker_id).distinct(),
        )
    )
    conn.execute(delete(schema.site_days))
    conn.execute(
        schema.site_days.insert().from_select(
            ["site", "local_date", "workers", "registered"],
            select(a.site, a.local_date, workers, registered).group_by(a.site, a.local_date),
        )
    )
