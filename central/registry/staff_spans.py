"""Who is employed where and when, with card and payment state: ``staff_spans``, kept exact.

The overview's card-issuance and on-line-payroll indicators count, per project, the distinct
workers employed there today, those with a valid payroll card and those paid on the project;
the headline counts distinct workers across the caller's projects. Computed from the source
tables that is a join of every employment of a province to its worker and payments, hashed and
made distinct, on every load (over half a second for 100,000 workers). ``staff_spans`` holds
the join's result instead: one row per project, worker and unbroken span of employment (a
worker's overlapping employments on one project merged into one span, so the spans of a pair
never overlap and the rows running on a day are distinct workers), with the worker's
``card_ok`` and ``paid``, and ``sole`` on a worker's only span anywhere: distinct workers
are then a plain count of those rows plus a grouping of the few others by worker.

A span depends only on the employments' dates, never on today, so a day rolling over needs no
write. Everything else that changes a row goes through this module in the writer's own
transaction: :func:`refresh` recomputes a worker's rows from the source tables (a new or
changed employment, a card recorded, replaced or refused by the bank), so a repeated or missed
step cannot make a row drift further than its worker; :func:`mark_paid` sets ``paid`` when a
line is paid (central/payroll/paid_summaries.py). :func:`rebuild` recomputes every row, after
a restore and for the tests that prove the table equals a direct count.

Concurrency: a refresh and a payment of the same worker in two PostgreSQL transactions could
each miss the other's uncommitted rows (read committed), so both first lock the worker's row
(``FOR NO KEY UPDATE``, which does not block foreign-key checks of other inserts): the second
waits and then reads what the first committed. SQLite has one writer at a time anyway.
"""

from collections.abc import Iterable

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    delete,
    func,
    or_,
    select,
    true,
    update,
)

from central.storage import schema

#: The end of an open-ended employment while spans are merged (compares after any real date).
OPEN = "9999-12-31"
CHUNK = 500


def card_ok() -> ColumnElement[int]:
    """1 for a worker with a payroll card on record that the bank has not refused."""
    w = schema.workers.c
    return case((and_(w.card_hash.is_not(None), w.card_valid == 1), 1), else_=0)


def _spans(which: ColumnElement[bool]) -> Select[tuple[str, str, str, str | None, int, int, int]]:
    """The rows ``staff_spans`` should hold for the employments ``which`` selects (all of a
    worker's or none: a span merges every employment of its project and worker).

    Gaps and islands in SQL both engines run: ordered by start, an employment starts a new span
    when every earlier one on the same project and worker ended before it starts; the running
    sum of those starts numbers the spans; each span is its employments' first start and last
    end (open-ended if any is). ``sole`` marks a worker's only span (see the table).
    """
    e = schema.employments.c
    pair = (e.project_id, e.worker_id)
    order = (e.start_date, e.id)
    end = func.coalesce(e.end_date, OPEN)
    earlier_end = func.max(end).over(partition_by=pair, order_by=order, rows=(None, -1))
    flagged = (
        select(
            e.project_id,
            e.worker_id,
            e.id,
            e.start_date,
            end.label("end_date"),
            case((or_(earlier_end.is_(None), earlier_end < e.start_date), 1), else_=0).label(
                "starts"
            ),
        )
        .where(which)
        .subquery()
    )
    f = flagged.c
    numbered = select(
        f.project_id,
        f.worker_id,
        f.start_date,
        f.end_date,
        func.sum(f.starts)
        .over(partition_by=(f.project_id, f.worker_id), order_by=(f.start_date, f.id))
        .label("span"),
    ).subquery()
    n = numbered.c
    spans = (
        select(
            n.project_id,
            n.worker_id,
            func.min(n.start_date).label("start_date"),
            func.nullif(func.max(n.end_date), OPEN).label("end_date"),
        )
        .group_by(n.project_id, n.worker_id, n.span)
        .subquery()
    )
    s, w, pw = spans.c, schema.workers.c, schema.paid_workers.c
    sole = case((func.count().over(partition_by=s.worker_id) == 1, 1), else_=0)
    return select(
        s.project_id,
        s.worker_id,
        s.start_date,
        s.end_date,
        card_ok().label("card_ok"),
        case((pw.worker_id.is_not(None), 1), else_=0).label("paid"),
        sole.label("sole"),
    ).select_from(
        spans.join(schema.workers, w.id == s.worker_id).outerjoin(
            schema.paid_workers, and_(pw.project_id == s.project_id, pw.worker_id == s.worker_id)
        )
    )


_COLUMNS = ["project_id", "worker_id", "start_date", "end_date", "card_ok", "paid", "sole"]


def _lock(conn: Connection, worker_ids: list[str]) -> None:
    """Hold the workers' rows until the caller's transaction ends (PostgreSQL; see above)."""
    w = schema.workers.c
    conn.execute(
        select(w.id).where(w.id.in_(worker_ids)).order_by(w.id).with_for_update(key_share=True)
    ).all()


def refresh(conn: Connection, worker_ids: Iterable[str]) -> None:
    """Recompute these workers' spans inside the caller's transaction (call it after writing
    an employment or a worker's card columns: the rows come from what the transaction sees)."""
    ids = sorted(set(worker_ids))
    ss = schema.staff_spans
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        _lock(conn, chunk)
        conn.execute(delete(ss).where(ss.c.worker_id.in_(chunk)))
        conn.execute(
            ss.insert().from_select(_COLUMNS, _spans(schema.employments.c.worker_id.in_(chunk)))
        )


def mark_paid(conn: Connection, project_id: str, worker_id: str) -> None:
    """The worker has a paid line on the project now (``paid_workers`` has the pair)."""
    _lock(conn, [worker_id])
    ss = schema.staff_spans.c
    conn.execute(
        update(schema.staff_spans)
        .where(ss.project_id == project_id, ss.worker_id == worker_id, ss.paid == 0)
        .values(paid=1)
    )


def recount_paid(conn: Connection) -> None:
    """Every row's ``paid`` from ``paid_workers`` again (after those are rebuilt)."""
    ss, pw = schema.staff_spans.c, schema.paid_workers.c
    paid = (
        select(pw.worker_id)
        .where(pw.project_id == ss.project_id, pw.worker_id == ss.worker_id)
        .exists()
    )
    conn.execute(update(schema.staff_spans).values(paid=case((paid, 1), else_=0)))


def rebuild(conn: Connection) -> None:
    """Recompute every span from the source tables (inside the caller's transaction)."""
    conn.execute(delete(schema.staff_spans))
    conn.execute(schema.staff_spans.insert().from_select(_COLUMNS, _spans(true())))


def running(day: str) -> ColumnElement[bool]:
    """Spans that include ``day`` (ISO date): their workers are employed on it."""
    ss = schema.staff_spans.c
    return and_(ss.start_date <= day, or_(ss.end_date.is_(None), ss.end_date >= day))
