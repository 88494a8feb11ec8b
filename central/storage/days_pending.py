"""Marks of attendance days that may be stale, so a month's days are re-derived only when needed.

Days are derived from events and corrections after those commit (central/attendance/refresh.py);
if that refresh fails, or the process dies between the commit and the refresh, the days are
stale. Computing and approving payroll used to refresh the whole month to be safe, which for a
project of 5,000 workers was a third of the payroll's time and almost always changed nothing.

So whoever commits events or a correction also writes a mark per (site, local date) **in the same
transaction** (:func:`mark`), and clears its own marks once its refresh has run (:func:`clear`,
by the token it marked with). A month's days are current when a whole-month refresh ran once
(``days_current``) and no mark survives for its dates or the day either side
(:func:`stale_marks`); a whole-month refresh clears the marks it covered (:func:`settle`).
Only the marks it read *before* refreshing, so an event committed during the refresh keeps
its mark. Plain table operations; the rules of when to refresh live with the refresh.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Connection, delete, select

from central.storage import schema
from central.storage.bulk import insert_rows, upsert_insert


def token_of(event_ids: Iterable[str]) -> str:
    """The token a batch of stored attendance events marks with: its smallest event id, which
    the store and the refresh after it (given the same events) both derive, and no other batch
    can have."""
    return min(event_ids)


def mark(conn: Connection, token: str, touched: Iterable[tuple[str, str]]) -> None:
    """Mark ``(site, local date)`` pairs as possibly stale, inside the writer's transaction."""
    rows = [{"token": token, "site": site, "local_date": day} for site, day in sorted(set(touched))]
    if rows:
        insert_rows(conn, schema.days_pending, rows)


def clear(conn: Connection, token: str) -> None:
    """Drop the marks ``token`` wrote: its refresh has brought those days up to date."""
    conn.execute(delete(schema.days_pending).where(schema.days_pending.c.token == token))


def stale_marks(
    conn: Connection, project_id: str, month: str, first: date, last: date
) -> list[tuple[int, str]] | None:
    """The marks ``(id, local date)`` that can touch the days ``first``…``last`` of the project
    (its site's marks from the day before to the day after), or None when the month was never
    refreshed whole: then every day of it may be stale."""
    current = schema.days_current.c
    whole = conn.execute(
        select(current.refreshed_at).where(current.project_id == project_id, current.month == month)
    ).first()
    if whole is None:
        return None
    p = schema.days_pending.c
    rows = conn.execute(
        select(p.id, p.local_date).where(
            p.site == project_id,
            p.local_date >= (first - timedelta(days=1)).isoformat(),
            p.local_date <= (last + timedelta(days=1)).isoformat(),
        )
    ).all()
    return [(int(i), str(d)) for i, d in rows]


def settle(
    conn: Connection,
    project_id: str,
    month: str,
    covered: Iterable[tuple[int, str]],
    at: str,
) -> None:
    """After a whole refresh of ``month`` (its days and the day either side): the month is
    current, and the marks read before it that it covered (their date inside the month, so the
    day either side was refreshed too) are gone."""
    ids = [i for i, _day in covered]
    p = schema.days_pending.c
    for start in range(0, len(ids), 500):
        conn.execute(delete(schema.days_pending).where(p.id.in_(ids[start : start + 500])))
    stmt = upsert_insert(conn, schema.days_current).values(
        project_id=project_id, month=month, refreshed_at=at
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["project_id", "month"], set_={"refreshed_at": at}
        )
    )
