"""Attendance days refreshed set-based: the database pairs, aggregates and writes.

A province month is millions of events; pairing them one by one in Python (days.py
``build_days``) costs minutes. Most workers' punches are *regular*, and for those the
database can do it alone:

* a worker's punches in the loaded window (ordered by ``captured_utc_us``, then
  ``event_id``, as ``build_days`` orders them) are regular when they strictly alternate
  ``in, out, in, out …``, start with ``in``, end with ``out``, each ``out`` at most
  ``max_shift`` after its ``in``, and every ``captured_at`` is the text
  ``moment.astimezone(zone).isoformat()`` gives (the site zone's offset, which must not
  change across the window). ``build_days`` then yields exactly one interval per pair on the
  local date of its ``in``, no flags and no duplicates, so a day is: first ``in``, last
  ``out``, the sum of whole seconds rounded down to the minute, two events per pair, and the
  intervals as JSON only when a pair crosses local midnight. One window pass (LAG/LEAD per
  worker) tells regular from not; one aggregate builds their days (on PostgreSQL both read
  one materialised pass: the sort of a month's events was a fifth of the refresh).
* every other worker (duplicates, a missing punch, a shift too long, a stray offset, a
  manual correction in the range) goes through ``build_days`` unchanged: correct by
  construction, and a small share of the rows.

Both kinds of rows meet in a temporary table; three statements then bring
``attendance_days`` level with it: intervals filled in on days stored before they were kept
(not a change), an upsert of the days that differ, a delete of the days that vanished. The
last two return the keys that changed, which is what payroll and closing act on; a day that
did not change is not rewritten (its ``computed_at`` stays).
"""

import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, text

from central.storage import Database, planner
from central.storage.bulk import insert_rows

Key = tuple[str, str]  # (worker_id, local date YYYY-MM-DD)
Rows = Mapping[Key, Mapping[str, object]]
Fallback = Callable[[Connection, Sequence[str] | None], Rows]

_COLUMNS = (
    "project_id",
    "worker_id",
    "local_date",
    "first_in",
    "last_out",
    "worked_minutes",
    "event_count",
    "flags",
    "status",
    "computed_at",
    "intervals",
)
# Compared to tell a changed day; ``intervals`` only when the stored day has them.
_COMPARED = ("first_in", "last_out", "worked_minutes", "event_count", "flags", "status")

_ANALYZE_AFTER = 10_000  # changed days; see refresh()

_TMP_DAYS = Table(  # the shape of attendance_days, for bulk.insert_rows only
    "tmp_days",
    MetaData(),
    Column("project_id", String),
    Column("worker_id", String),
    Column("local_date", String),
    Column("first_in", String),
    Column("last_out", String),
    Column("worked_minutes", Integer),
    Column("event_count", Integer),
    Column("flags", String),
    Column("status", String),
    Column("computed_at", String),
    Column("intervals", Text),
)


def fixed_offset(zone: tzinfo, first: date, last: date) -> str | None:
    """The zone's ISO offset suffix (``+08:00``) if it is the same all through ``first`` to
    ``last`` (checked hourly: every real transition lasts longer); ``None`` otherwise, or
    when the offset has seconds (then the whole range takes the ``build_days`` path)."""
    start = datetime.combine(first, time(), zone)
    offsets = {
        (start + timedelta(hours=h)).utcoffset()
        for h in range(0, ((last - first).days + 1) * 24 + 1)
    }
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    assert offset is not None
    if offset.total_seconds() % 60:
        return None
    suffix = datetime.combine(first, time(), zone).isoformat()[19:]
    return suffix if len(suffix) == 6 else None


def worker_filter(column: str, dialect: str) -> str:
    """``column`` is one of the JSON array ``:workers`` (one parameter, whatever the count:
    SQLite caps bound variables)."""
    if dialect == "postgresql":
        return f"{column} IN (SELECT json_array_elements_text(CAST(:workers AS json)))"
    return f"{column} IN (SELECT value FROM json_each(:workers))"


class _Sql:
    """The few places the two engines spell differently."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"
        self.dialect = dialect
        self.collate = ' COLLATE "C"' if self.pg else ""  # Python's str order on ties
        self.concat = "string_agg" if self.pg else "group_concat"

    def differs(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}" if self.pg else f"{a} IS NOT {b}"

    def same(self, a: str, b: str) -> str:
        return f"{a} IS NOT DISTINCT FROM {b}" if self.pg else f"{a} IS {b}"


def _events(sql: _Sql, scoped: bool) -> str:
    """Every event of the window with what its neighbours are (one window pass)."""
    workers = f" AND {worker_filter('a.worker_id', sql.dialect)}" if scoped else ""
    is_in = "CASE WHEN a.direction = 'in' THEN 1 ELSE 0 END"
    # The text build_days/_row would produce: the zone's offset, seconds always, microseconds
    # only when not zero, 'T' between date and time.
    canonical = (
        "CASE WHEN length(a.captured_at) IN (25, 32)"
        " AND substr(a.captured_at, length(a.captured_at) - 5) = :suffix"
        " AND substr(a.captured_at, 11, 1) = 'T'"
        " AND substr(a.captured_at, 20, 7) <> '.000000' THEN 1 ELSE 0 END"
    )
    return f"""
    SELECT a.worker_id, a.captured_at AS at, a.captured_utc_us AS us,
           {is_in} AS is_in, {canonical} AS canonical,
           LAG({is_in}) OVER w AS prev_in,
           LEAD({is_in}) OVER w AS next_in,
           LEAD(a.captured_utc_us) OVER w AS next_us,
           LEAD(a.captured_at) OVER w AS next_at,
           LEAD(a.captured_at, 2) OVER w AS next_pair_at
    FROM attendance a
    WHERE a.site = :project AND a.local_date BETWEEN :window_from AND :window_to{workers}
    WINDOW w AS (PARTITION BY a.worker_id ORDER BY a.captured_utc_us, a.event_id{sql.collate})
    """


_IRREGULAR = """
    (is_in = 1 AND (next_in IS NULL OR next_in = 1 OR next_us - us > :max_shift_us))
    OR (is_in = 0 AND (prev_in IS NULL OR prev_in = 0))
    OR canonical = 0
"""


def _fallback_workers(sql: _Sql, scoped: bool) -> str:
    """Workers whose days ``build_days`` must make: irregular punches in ``ev``, or a
    correction in the range."""
    workers = f" AND {worker_filter('c.worker_id', sql.dialect)}" if scoped else ""
    return f"""
    SELECT worker_id FROM ev WHERE {_IRREGULAR}
    UNION
    SELECT c.worker_id FROM attendance_corrections c
    WHERE c.project_id = :project AND c.local_date BETWEEN :date_from AND :date_to{workers}
    """


def _fallback_workers_sql(sql: _Sql, scoped: bool) -> str:
    """SQLite: the fallback workers into ``tmp_fallback`` (a pass of their own: SQLite has no
    INSERT inside WITH; PostgreSQL notes them in :func:`_regular_days_sql`'s one pass)."""
    return f"""
    INSERT INTO tmp_fallback (worker_id)
    WITH ev AS ({_events(sql, scoped)}) {_fallback_workers(sql, scoped)}
    """


def _regular_days_sql(sql: _Sql, scoped: bool) -> str:
    """Every regular worker's days, as ``_row`` would make them, into ``tmp_days``.

    The pairs of a day are consecutive; running totals over them (one sort, no join) read
    at the day's last pair are the day's totals.
    """
    piece = "'[\"' || in_at || '\", \"' || out_at || '\"]'"
    if sql.pg:  # one window pass: the fallback workers noted from the same events
        ctes = f"""
    WITH ev AS MATERIALIZED ({_events(sql, scoped)}),
    fallback AS MATERIALIZED ({_fallback_workers(sql, scoped)}),
    noted AS (INSERT INTO tmp_fallback (worker_id) SELECT worker_id FROM fallback),"""
        excluded = "SELECT worker_id FROM fallback"
    else:
        ctes = f"""
    WITH ev AS ({_events(sql, scoped)}),"""
        excluded = "SELECT worker_id FROM tmp_fallback"
    return f"""{ctes}
    pairs AS (
        SELECT worker_id, substr(at, 1, 10) AS day, at AS in_at, next_at AS out_at, us,
               (next_us - us) / 1000000 AS seconds,
               CASE WHEN next_pair_at IS NULL
                         OR substr(next_pair_at, 1, 10) <> substr(at, 1, 10)
                    THEN 1 ELSE 0 END AS last_of_day,
               CASE WHEN substr(next_at, 1, 10) <> substr(at, 1, 10)
                    THEN 1 ELSE 0 END AS crosses
        FROM ev
        WHERE is_in = 1 AND substr(at, 1, 10) BETWEEN :date_from AND :date_to
          AND worker_id NOT IN ({excluded})
    ),
    running AS (
        SELECT worker_id, day, out_at, last_of_day,
               FIRST_VALUE(in_at) OVER d AS first_in,
               SUM(seconds) OVER d AS seconds,
               COUNT(*) OVER d AS pairs,
               MAX(crosses) OVER d AS crossing,
               {sql.concat}({piece}, ', ') OVER d AS intervals
        FROM pairs
        WINDOW d AS (PARTITION BY worker_id, day ORDER BY us
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
    INSERT INTO tmp_days ({", ".join(_COLUMNS)})
    SELECT :project, worker_id, day, first_in, out_at,
           CAST(seconds AS BIGINT) / 60,  -- PostgreSQL sums bigint into numeric
           2 * pairs, '', 'complete', :stamp,
           CASE WHEN crossing = 1 THEN '[' || intervals || ']' END
    FROM running WHERE last_of_day = 1
    """


def _create_temp_tables(conn: Connection, sql: _Sql) -> None:
    columns = (
        "project_id TEXT, worker_id TEXT, local_date TEXT, first_in TEXT, last_out TEXT,"
        " worked_minutes INTEGER, event_count INTEGER, flags TEXT, status TEXT,"
        " computed_at TEXT, intervals TEXT"
    )
    if sql.pg:  # dropped at commit; PostgreSQL hashes the joins, no index needed
        conn.execute(text(f"CREATE TEMP TABLE tmp_days ({columns}) ON COMMIT DROP"))
        conn.execute(
            text("CREATE TEMP TABLE tmp_fallback (worker_id TEXT PRIMARY KEY) ON COMMIT DROP")
        )
        return
    _drop_temp_tables(conn, sql)  # left by a connection whose transaction failed
    conn.execute(
        text(f"CREATE TEMP TABLE tmp_days ({columns}, PRIMARY KEY (worker_id, local_date))")
    )
    conn.execute(text("CREATE TEMP TABLE tmp_fallback (worker_id TEXT PRIMARY KEY)"))


def _drop_temp_tables(conn: Connection, sql: _Sql) -> None:
    if not sql.pg:
        conn.execute(text("DROP TABLE IF EXISTS temp.tmp_days"))
        conn.execute(text("DROP TABLE IF EXISTS temp.tmp_fallback"))


def _write(conn: Connection, sql: _Sql, params: dict[str, Any], scoped: bool) -> list[Key]:
    """Make the stored days of the scope equal ``tmp_days``; the keys that changed."""
    t, w = "attendance_days", "tmp_days"
    scope = "project_id = :project AND local_date BETWEEN :date_from AND :date_to"
    if scoped:
        scope += f" AND {worker_filter('worker_id', sql.dialect)}"
    same = " AND ".join(sql.same(f"{t}.{c}", f"{w}.{c}") for c in _COMPARED)
    conn.execute(  # stored before intervals were kept: they only gain them (not a change)
        text(
            f"UPDATE {t} SET intervals = {w}.intervals FROM {w}"
            f" WHERE {t}.project_id = :project AND {t}.worker_id = {w}.worker_id"
            f" AND {t}.local_date = {w}.local_date AND {w}.intervals IS NOT NULL"
            f" AND {t}.intervals IS NULL AND {same}"
        ),
        params,
    )
    differs = " OR ".join(sql.differs(f"{t}.{c}", f"excluded.{c}") for c in _COMPARED)
    differs += (
        f" OR ({t}.intervals IS NOT NULL AND {sql.differs(f'{t}.intervals', 'excluded.intervals')})"
    )
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[3:])
    cols = ", ".join(_COLUMNS)
    upserted = conn.execute(
        text(
            # ``WHERE true``: SQLite's parser needs it between INSERT … SELECT and ON CONFLICT.
            f"INSERT INTO {t} ({cols}) SELECT {cols} FROM {w} WHERE true"
            f" ON CONFLICT (project_id, worker_id, local_date) DO UPDATE SET {updates}"
            f" WHERE {differs} RETURNING worker_id, local_date"
        ),
        params,
    ).all()
    # A whole range's stored days against tmp_days must hash: right after a bulk load the
    # stored days' statistics can say "a few rows", and a nested loop over millions then runs
    # for minutes. (A few workers' days are best found by index: left to the planner.)
    with planner.hash_joins(conn) if not scoped else nullcontext():
        vanished = conn.execute(
            text(
                f"DELETE FROM {t} WHERE {scope} AND NOT EXISTS (SELECT 1 FROM {w}"
                f" WHERE {w}.worker_id = {t}.worker_id AND {w}.local_date = {t}.local_date)"
                " RETURNING worker_id, local_date"
            ),
            params,
        ).all()
    return sorted({(r[0], r[1]) for r in upserted} | {(r[0], r[1]) for r in vanished})


def refresh(
    db: Database,
    project_id: str,
    zone: tzinfo,
    date_from: date,
    date_to: date,
    workers: Sequence[str] | None,
    *,
    max_shift: timedelta,
    stamp: str,
    fallback: Fallback,
) -> list[Key]:
    """Bring the stored days of the range up to date; return the (worker, date) that changed.

    ``fallback(conn, workers)`` returns the rows ``build_days``/``_row`` make for those
    workers (``None``: every worker of the range); it is asked only about the workers the
    database cannot pair alone.
    """
    sql = _Sql(db.dialect)
    scoped = workers is not None
    params: dict[str, Any] = {
        "project": project_id,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        # load_punches' window: night shifts cross the range's edges
        "window_from": (date_from - timedelta(days=1)).isoformat(),
        "window_to": (date_to + timedelta(days=1)).isoformat(),
        "max_shift_us": int(max_shift / timedelta(microseconds=1)),
        "stamp": stamp,
        "suffix": fixed_offset(zone, date_from - timedelta(days=2), date_to + timedelta(days=2)),
    }
    if scoped:
        params["workers"] = json.dumps(sorted(set(workers or ())))
    with db.begin() as conn:
        planner.month_memory(conn)  # a project-month of events sorted per worker
        _create_temp_tables(conn, sql)
        if params["suffix"] is None:  # the offset changes in the window: build_days it all
            rows = fallback(conn, workers)
        else:
            if not sql.pg:
                conn.execute(text(_fallback_workers_sql(sql, scoped)), params)
            conn.execute(text(_regular_days_sql(sql, scoped)), params)
            found = text("SELECT worker_id FROM tmp_fallback ORDER BY worker_id")
            others = list(conn.execute(found).scalars())
            rows = fallback(conn, others) if others else {}
        if rows:
            insert_rows(conn, _TMP_DAYS, [{c: row[c] for c in _COLUMNS} for row in rows.values()])
        changed = _write(conn, sql, params, scoped)
        if sql.pg and len(changed) >= _ANALYZE_AFTER:
            # The next refresh plans its joins on these statistics: describe the bulk just
            # written now, not whenever autovacuum comes round (a plan made for "a few rows"
            # loops over millions).
            conn.execute(text("ANALYZE attendance_days"))
        _drop_temp_tables(conn, sql)
    return changed
