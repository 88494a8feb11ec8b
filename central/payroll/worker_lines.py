"""One worker's wage lines, each with its month's batch state and due date.

The worker's own view (/me) and the evidence statement show the same lines, so they read
them through this one query: a column added here reaches both, and the two cannot drift.
"""

from sqlalchemy import Column, Connection, select

from central.storage import schema


def pay_columns() -> tuple[Column[object], ...]:
    """A line's pay as every wage sheet shows it: days, the minutes of each kind, the pay kind
    and rate, the money of each kind, gross, deductions and net. One list, so the worker's
    view, the evidence statement and the employer's wage sheet cannot show different parts."""
    p = schema.payroll_lines.c
    return (
        p.attended_days,
        p.worked_minutes,
        p.plain_minutes,
        p.ot_workday_minutes,
        p.ot_restday_minutes,
        p.ot_holiday_minutes,
        p.compensated_minutes,
        p.pay_kind,
        p.rate_fen,
        p.plain_fen,
        p.extended_fen,
        p.restday_fen,
        p.holiday_fen,
        p.additions_fen,
        p.gross_fen,
        p.deductions_fen,
        p.net_fen,
    )


def worker_lines(
    conn: Connection,
    worker_id: str,
    *,
    months: tuple[str, str] | None = None,
    paid_only: bool = False,
) -> list[dict[str, object]]:
    """The worker's lines by month then project; ``months`` is an inclusive ``YYYY-MM`` range."""
    p, b = schema.payroll_lines.c, schema.payroll_batches.c
    q = (
        select(
            p.id,
            b.project_id,
            b.month,
            b.state.label("batch_state"),
            b.due_date,
            *pay_columns(),
            p.state,
            p.paid_fen,
            p.paid_at,
            p.bank_ref,
            p.bank_message,
            p.confirmation,
            p.confirmation_at,
            p.confirmation_note,
        )
        .join(schema.payroll_batches, b.id == p.batch_id)
        .where(p.worker_id == worker_id)
        .order_by(b.month, b.project_id)
    )
    if months is not None:
        q = q.where(b.month >= months[0], b.month <= months[1])
    if paid_only:
        q = q.where(p.state == "paid")
    return [dict(r._mapping) for r in conn.execute(q)]
