"""Wage adjustments: piece-rate pay and deductions (advances) for a worker-month, reversible.

An adjustment moves a worker's net pay, so each one is bounded (1 fen to 1,000,000 yuan,
central/validation/numbers.py), made only for a worker employed on the project during the
month, and recorded in the audit log. A wrong one is never deleted: it is *reversed* (who,
when, why, in the row and in the audit log) while the month's batch is still a draft, and
payroll compute leaves reversed rows out (central/payroll/compute.py). Once the batch is
approved, a correction is a new adjustment in a later month.
"""

from sqlalchemy import Connection, and_, or_, select

from central.attendance.periods import month_range
from central.audit import Actor, record
from central.clock import now_iso
from central.errors import Conflict, InvalidInput, NotFound
from central.registry.organisations import project
from central.storage import Database, schema
from central.storage.lookup import inserted_id
from central.validation import MAX_ADJUSTMENT_FEN

KINDS = ("piece_rate", "deduction")


def _batch_state(conn: Connection, project_id: str, month: str) -> str | None:
    t = schema.payroll_batches.c
    return conn.execute(
        select(t.state).where(t.project_id == project_id, t.month == month)
    ).scalar_one_or_none()


def _employed_in_month(conn: Connection, project_id: str, worker_id: str, month: str) -> bool:
    first, last = month_range(month)
    e = schema.employments.c
    found = conn.execute(
        select(e.id).where(
            e.project_id == project_id,
            e.worker_id == worker_id,
            e.start_date <= last.isoformat(),
            or_(e.end_date.is_(None), e.end_date >= first.isoformat()),
        )
    ).first()
    return found is not None


def add_adjustment(
    db: Database,
    project_id: str,
    worker_id: str,
    month: str,
    kind: str,
    amount_fen: int,
    reason: str,
    by_user: str,
    *,
    actor: Actor | None = None,
) -> dict[str, object]:
    """A piece-rate amount or a deduction for a worker-month, with its reason.

    NotFound when the project does not exist or the worker is not employed on it in that
    month: the answer is the same whether the worker exists elsewhere or not at all.
    """
    month_range(month)
    if kind not in KINDS:
        raise InvalidInput("kind must be piece_rate or deduction")
    if not 0 < amount_fen <= MAX_ADJUSTMENT_FEN:
        raise InvalidInput(f"amount_fen must be 1 to {MAX_ADJUSTMENT_FEN} (1,000,000 yuan)")
    if not reason.strip():
        raise InvalidInput("say why (the reason is shown on the worker's wage line)")
    values = {
        "project_id": project_id,
        "worker_id": worker_id,
        "month": month,
        "kind": kind,
        "amount_fen": amount_fen,
        "reason": reason.strip()[:500],
        "by_user": by_user,
        "at": now_iso(),
    }
    with db.begin() as conn:
        project(conn, project_id)
        if not _employed_in_month(conn, project_id, worker_id, month):
            raise NotFound(f"worker {worker_id} employed on {project_id} in {month}")
        state = _batch_state(conn, project_id, month)
        if state not in (None, "draft"):
            raise Conflict(f"the {month} batch is {state}; adjustments go into a later month")
        new_id = inserted_id(conn.execute(schema.wage_adjustments.insert().values(**values)))
        record(
            conn,
            actor or Actor(by_user),
            "adjustment.added",
            target_kind="wage_adjustment",
            target_id=new_id,
            project_id=project_id,
            detail={"worker_id": worker_id, "month": month, "kind": kind, "amount_fen": amount_fen},
        )
    return {
        "id": new_id,
        **values,
        "reversed_by": None,
        "reversed_at": None,
        "reversal_reason": None,
    }


def adjustments(
    conn: Connection, project_id: str, month: str | None = None, worker_id: str | None = None
) -> list[dict[str, object]]:
    """A project's adjustments, reversed ones included (they show who reversed them and why)."""
    a = schema.wage_adjustments.c
    q = select(schema.wage_adjustments).where(a.project_id == project_id)
    if month is not None:
        q = q.where(a.month == month)
    if worker_id is not None:
        q = q.where(a.worker_id == worker_id)
    return [dict(r._mapping) for r in conn.execute(q.order_by(a.id))]


def reverse_adjustment(
    db: Database, project_id: str, adjustment_id: int, reason: str, actor: Actor
) -> dict[str, object]:
    """Reverse an adjustment of a month whose batch is not yet approved; the row stays."""
    if not reason.strip():
        raise InvalidInput("say why the adjustment is reversed")
    t = schema.wage_adjustments
    with db.begin() as conn:
        row = conn.execute(
            select(t).where(and_(t.c.id == adjustment_id, t.c.project_id == project_id))
        ).first()
        if row is None:
            raise NotFound(f"adjustment {adjustment_id}")
        if row.reversed_at is not None:
            raise Conflict(f"adjustment {adjustment_id} was already reversed")
        state = _batch_state(conn, project_id, row.month)
        if state not in (None, "draft"):
            raise Conflict(
                f"the {row.month} batch is {state}; correct it with an adjustment in a later month"
            )
        at = now_iso()
        conn.execute(
            t.update()
            .where(t.c.id == adjustment_id)
            .values(reversed_by=actor.name, reversed_at=at, reversal_reason=reason.strip()[:500])
        )
        record(
            conn,
            actor,
            "adjustment.reversed",
            target_kind="wage_adjustment",
            target_id=adjustment_id,
            project_id=project_id,
            detail={
                "worker_id": row.worker_id,
                "month": row.month,
                "kind": row.kind,
                "amount_fen": row.amount_fen,
                "reason": reason.strip()[:500],
            },
        )
        found = conn.execute(select(t).where(t.c.id == adjustment_id)).one()
    return dict(found._mapping)
