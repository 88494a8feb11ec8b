"""工资发放管理 for supervisors: every payroll batch with its payment status, amounts due and
paid, and how many days it is overdue; the wage sheet behind a batch.

:func:`payments_select` returns a SELECT cut to the caller's projects (``projects`` from
central/auth/scope.py, None for all), for the console's table component and
``GET /api/v1/wage-payments`` alike. The wage sheet's rows are
central/payroll/confirmation.py's ``wage_sheet_select``, the query of
``GET /api/v1/payroll/batches/{id}/wage-sheet``; a line's days are
central/payroll/line_days.py's, as ``GET /api/v1/payroll/lines/{id}/days`` serves them.

The status a supervisor sees is one word, the most urgent that holds:

``paid`` (every line out is paid) · ``overdue`` (past its due date and not paid, whatever
else) · ``failed`` (the bank refused a line and nothing was paid) · ``partially_paid`` ·
``submitted`` · ``approved`` · ``draft``.
"""

from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    select,
)

from central.storage import schema
from central.storage.project_scope import in_scope

STATUSES = (
    "draft",
    "approved",
    "submitted",
    "partially_paid",
    "paid",
    "failed",
    "overdue",
)


class Payment(BaseModel):
    """A payroll batch as a supervisor follows it: is the money out, and how late."""

    id: int
    project_id: str
    project: str
    month: str
    status: str = Field(description=" | ".join(STATUSES) + " (the most urgent that holds)")
    state: str = Field(description="the batch's own state: draft … paid")
    due_date: str
    workers: int = Field(description="wage lines in the batch")
    due_fen: int = Field(description="the lines' net pay")
    paid_fen: int = Field(description="what the bank confirmed paid")
    failed_lines: int
    days_overdue: int = Field(description="days past the due date when overdue, else 0")


def payments_select(
    projects: Collection[str] | None,
    today: date,
    *,
    project_id: str | None = None,
    month: str | None = None,
    status: str | None = None,
) -> Select[Any]:
    """One row per batch in scope: project, month, status, due date, workers, amounts due
    (the lines' net) and paid (what the bank confirmed), fen throughout.

    ``today`` is the site's date: a batch is overdue from the day after its due date.
    """
    b, p, ln = schema.payroll_batches.c, schema.projects.c, schema.payroll_lines.c
    per_batch = (
        select(
            ln.batch_id.label("batch_id"),
            func.count().label("workers"),
            # PostgreSQL sums bigint to numeric: cast back, money stays integer fen
            func.coalesce(func.sum(ln.net_fen), 0).cast(BigInteger).label("due_fen"),
            func.coalesce(func.sum(ln.paid_fen), 0).cast(BigInteger).label("paid_fen"),
            func.sum(case((ln.state == "failed", 1), else_=0)).cast(Integer).label("failed"),
        )
        .group_by(ln.batch_id)
        .subquery("batch_lines")
    )
    failed = func.coalesce(per_batch.c.failed, 0)
    status_expr = case(
        (b.state == "paid", literal("paid")),
        (b.due_date < today.isoformat(), literal("overdue")),
        (and_(failed > 0, b.state != "partially_paid"), literal("failed")),
        else_=b.state,
    )
    inner = (
        select(
            b.id.label("id"),
            b.project_id.label("project_id"),
            p.name.label("project"),
            b.month.label("month"),
            status_expr.label("status"),
            b.state.label("state"),
            b.due_date.label("due_date"),
            func.coalesce(per_batch.c.workers, 0).label("workers"),
            func.coalesce(per_batch.c.due_fen, b.net_fen).label("due_fen"),
            func.coalesce(per_batch.c.paid_fen, 0).label("paid_fen"),
            failed.label("failed_lines"),
        )
        .select_from(
            schema.payroll_batches.join(schema.projects, p.id == b.project_id).outerjoin(
                per_batch, per_batch.c.batch_id == b.id
            )
        )
        .where(in_scope(b.project_id, projects))
    )
    if project_id:
        inner = inner.where(b.project_id == project_id)
    if month:
        inner = inner.where(b.month == month)
    rows = inner.subquery("payments")
    q = select(*rows.c)
    if status:
        q = q.where(rows.c.status == status)
    return q


def with_days_overdue(rows: Iterable[dict[str, Any]], today: date) -> None:
    """Add ``days_overdue`` to each row, in place: days since the due date of an overdue
    batch, 0 for any other."""
    for row in rows:
        late = (today - date.fromisoformat(str(row["due_date"]))).days
        row["days_overdue"] = late if row["status"] == "overdue" and late > 0 else 0
