"""Payment summaries: wages paid per project and month, and who was paid, kept as they happen.

A province's overview would otherwise sum every payroll line ever paid (a million a month)
and count distinct workers over them on each load. :func:`record_payment` is called in the
transaction that marks a line paid (central/payroll/bankfiles.py), so the summaries never lag
the lines (nor does ``staff_spans.paid``, central/registry/staff_spans.py); :func:`rebuild`
recomputes them from the lines (after a restore, and for the test that proves the summaries
equal a direct count). A line is paid once (only a pending line can become paid), so adding
is exact.
"""

from sqlalchemy import Connection, case, delete, func, select, update

from central.registry import staff_spans
from central.storage import schema
from central.storage.bulk import greater, upsert_insert


def record_payment(
    conn: Connection, project_id: str, worker_id: str, paid_at: str, fen: int
) -> None:
    """Add one paid line (``paid_at`` ISO; its first 7 characters are the month).

    The worker's row is locked first (``staff_spans.mark_paid``), so two imports paying the
    same worker on two projects at once see each other's row when they set ``sole``.
    """
    month = paid_at[:7]
    staff_spans.mark_paid(conn, project_id, worker_id)
    pm = upsert_insert(conn, schema.paid_months)
    conn.execute(
        pm.values(project_id=project_id, month=month, paid_fen=fen, lines=1).on_conflict_do_update(
            index_elements=["project_id", "month"],
            set_={
                "paid_fen": schema.paid_months.c.paid_fen + fen,
                "lines": schema.paid_months.c.lines + 1,
            },
        )
    )
    pw = upsert_insert(conn, schema.paid_workers)
    conn.execute(
        pw.values(
            project_id=project_id, worker_id=worker_id, first_month=month, last_month=month, sole=0
        ).on_conflict_do_update(
            index_elements=["project_id", "worker_id"],
            set_={"last_month": greater(conn, schema.paid_workers.c.last_month, month)},
        )
    )
    t = schema.paid_workers
    others = select(func.count()).where(t.c.worker_id == worker_id).scalar_subquery()
    conn.execute(
        update(t).where(t.c.worker_id == worker_id).values(sole=case((others == 1, 1), else_=0))
    )


def rebuild(conn: Connection) -> None:
    """Recompute both summaries from the payroll lines (inside the caller's transaction)."""
    line, batch = schema.payroll_lines.c, schema.payroll_batches.c
    month = func.substr(line.paid_at, 1, 7)
    joined = schema.payroll_lines.join(schema.payroll_batches, batch.id == line.batch_id)
    paid = line.paid_fen > 0
    conn.execute(delete(schema.paid_months))
    conn.execute(delete(schema.paid_workers))
    conn.execute(
        schema.paid_months.insert().from_select(
            ["project_id", "month", "paid_fen", "lines"],
            select(batch.project_id, month, func.sum(line.paid_fen), func.count())
            .select_from(joined)
            .where(paid)
            .group_by(batch.project_id, month),
        )
    )
    sole = case((func.count().over(partition_by=line.worker_id) == 1, 1), else_=0)
    conn.execute(
        schema.paid_workers.insert().from_select(
            ["project_id", "worker_id", "first_month", "last_month", "sole"],
            select(batch.project_id, line.worker_id, func.min(month), func.max(month), sole)
            .select_from(joined)
            .where(paid)
            .group_by(batch.project_id, line.worker_id),
        )
    )
    staff_spans.recount_paid(conn)
