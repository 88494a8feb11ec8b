"""The wage indicators, each a query over stored facts that opens a warning per offender.

Legal grounds (Regulations on Ensuring Payment of Wages to Migrant Workers, 保障农民工工资支付
条例): wages in full and on time (art. 3), at least monthly (art. 24), to the worker's own
card by the general contractor (art. 31), and no worker on site without a labour contract
and real-name registration (art. 28). :func:`scan` is idempotent: run it as often as liked.
"""

from datetime import date, timedelta

from sqlalchemy import Connection, and_, distinct, func, literal_column, select

from central.attendance.periods import due_date, month_of
from central.attendance.refresh import refresh_month
from central.errors import InvalidInput
from central.storage import Database, schema
from central.validation import not_future
from central.warnings.complaints import overdue_complaints
from central.warnings.late_attendance import flag_changes
from central.warnings.store import raise_warning
from central.warnings.training_expiry import training_expiring

UNPAID = ("draft", "approved", "submitted", "partially_paid")
LATE_EVENT_LOOKBACK_DAYS = 120


def _batch_overdue(conn: Connection, today: date) -> int:
    b = schema.payroll_batches.c
    new = 0
    for r in conn.execute(
        select(b.id, b.project_id, b.month, b.state, b.due_date, b.net_fen).where(
            b.state.in_(UNPAID), b.due_date < today.isoformat()
        )
    ):
        new += raise_warning(
            conn,
            key=f"batch_overdue:{r.id}",
            kind="batch_overdue",
            severity="high",
            project_id=r.project_id,
            params={"project": r.project_id, "month": r.month, "due_date": r.due_date},
            evidence={
                "batch_id": r.id,
                "state": r.state,
                "due_date": r.due_date,
                "net_fen": r.net_fen,
                "days_late": (today - date.fromisoformat(r.due_date)).days,
            },
        )
    return new


def _line_problems(conn: Connection) -> int:
    p, b = schema.payroll_lines.c, schema.payroll_batches.c
    new = 0
    q = select(
        p.id,
        p.worker_id,
        p.state,
        p.net_fen,
        p.paid_fen,
        p.bank_message,
        p.batch_id,
        b.project_id,
        b.month,
    ).join(schema.payroll_batches, b.id == p.batch_id)
    for r in conn.execute(
        q.where((p.state == "failed") | and_(p.state == "paid", p.paid_fen < p.net_fen))
    ):
        evidence = {
            "batch_id": r.batch_id,
            "line_id": r.id,
            "month": r.month,
            "net_fen": r.net_fen,
            "paid_fen": r.paid_fen,
            "bank_message": r.bank_message,
        }
        if r.state == "failed":
            new += raise_warning(
                conn,
                key=f"bank_failed:{r.id}",
                kind="bank_failed",
                severity="high",
                project_id=r.project_id,
                worker_id=r.worker_id,
                params={"worker": r.worker_id, "month": r.month},
                evidence=evidence,
            )
        else:
            new += raise_warning(
                conn,
                key=f"underpaid:{r.id}",
                kind="underpaid",
                severity="high",
                project_id=r.project_id,
                worker_id=r.worker_id,
                params={
                    "worker": r.worker_id,
                    "paid_fen": r.paid_fen,
                    "net_fen": r.net_fen,
                    "month": r.month,
                },
                evidence={**evidence, "short_fen": r.net_fen - r.paid_fen},
            )
    return new


def _attendance_without_line(conn: Connection) -> int:
    b, d, p = schema.payroll_batches.c, schema.attendance_days.c, schema.payroll_lines.c
    new = 0
    for batch in conn.execute(select(b.id, b.project_id, b.month).where(b.state != "draft")):
        first = f"{batch.month}-01"
        last = f"{batch.month}-31"
        worked = conn.execute(
            select(d.worker_id, func.count(), func.sum(d.worked_minutes))
            .where(
                d.project_id == batch.project_id,
                d.local_date >= first,
                d.local_date <= last,
                # flagged days count too: a worker who came to the gate never disappears
                (d.worked_minutes > 0) | (d.flags != ""),
            )
            .group_by(d.worker_id)
        ).all()
        paid = set(conn.execute(select(p.worker_id).where(p.batch_id == batch.id)).scalars())
        for worker_id, days, minutes in worked:
            if worker_id in paid:
                continue
            new += raise_warning(
                conn,
                key=f"no_line:{batch.id}:{worker_id}",
                kind="attendance_without_pay_line",
                severity="high",
                project_id=batch.project_id,
                worker_id=worker_id,
                params={"worker": worker_id, "days": days, "month": batch.month},
                evidence={"batch_id": batch.id, "days": days, "worked_minutes": minutes},
            )
    return new


def _site_access(conn: Connection) -> int:
    """Checked in without a signed labour contract, or without a valid payroll card (art. 28)."""
    a, c, w = schema.attendance.c, schema.contracts.c, schema.workers.c
    seen = conn.execute(
        select(a.site, a.worker_id, func.min(a.local_date), func.count()).group_by(
            a.site, a.worker_id
        )
    ).all()
    signed = {
        (r.project_id, r.worker_id)
        for r in conn.execute(select(c.project_id, c.worker_id).where(c.status == "signed"))
    }
    projects = set(conn.execute(select(schema.projects.c.id)).scalars())
    cards = {
        r.id: bool(r.card_sealed is not None and r.card_valid)
        for r in conn.execute(select(w.id, w.card_sealed, w.card_valid))
    }
    new = 0
    for site, worker_id, first_day, count in seen:
        if site not in projects:
            continue  # a site with no registered project: outside the wage rules' reach
        evidence = {"first_check_in": first_day, "check_ins": count}
        if (site, worker_id) not in signed:
            new += raise_warning(
                conn,
                key=f"no_contract:{site}:{worker_id}",
                kind="no_labour_contract",
                severity="high",
                project_id=site,
                worker_id=worker_id,
                params={"worker": worker_id, "project": site},
                evidence={**evidence, "registered": worker_id in cards},
            )
        if not cards.get(worker_id, False):
            new += raise_warning(
                conn,
                key=f"no_card:{site}:{worker_id}",
                kind="no_valid_payroll_card",
                severity="high",
                project_id=site,
                worker_id=worker_id,
                params={"worker": worker_id, "project": site},
                evidence=evidence,
            )
    return new


def _not_paid_monthly(conn: Connection, today: date) -> int:
    """Art. 24: a month with attendance and no batch at all once its due date has passed."""
    d, b, pr = schema.attendance_days.c, schema.payroll_batches.c, schema.projects.c
    due_days = dict(conn.execute(select(pr.id, pr.pay_due_day)).all())
    batches = {(r.project_id, r.month) for r in conn.execute(select(b.project_id, b.month))}
    # Literal positions, not bound parameters: PostgreSQL must see the same expression in
    # SELECT and GROUP BY.
    month = func.substr(d.local_date, literal_column("1"), literal_column("7"))
    months = conn.execute(
        select(d.project_id, month, func.count(distinct(d.worker_id)))
        .where(d.worked_minutes > 0)
        .group_by(d.project_id, month)
    ).all()
    new = 0
    for project_id, month, workers in months:
        if (project_id, month) in batches or project_id not in due_days:
            continue
        due = due_date(month, due_days[project_id])
        if due < today:
            new += raise_warning(
                conn,
                key=f"not_monthly:{project_id}:{month}",
                kind="not_paid_monthly",
                severity="high",
                project_id=project_id,
                params={
                    "project": project_id,
                    "workers": workers,
                    "month": month,
                    "due_date": due.isoformat(),
                },
                evidence={"month": month, "workers": workers, "due_date": due.isoformat()},
            )
    return new


def _late_attendance(db: Database, today: date) -> int:
    """Attendance that changed after the payroll was approved: flagged, never silently paid.

    Ingest flags these as the events arrive (central/warnings/late_attendance.py); this scan
    (a write job, never a read path) catches events whose refresh after ingest failed.
    """
    b = schema.payroll_batches.c
    since = month_of(today - timedelta(days=LATE_EVENT_LOOKBACK_DAYS))
    with db.engine.connect() as conn:
        approved = conn.execute(
            select(b.project_id, b.month).where(b.state != "draft", b.month >= since)
        ).all()
    new = 0
    for project_id, month in approved:
        changed = refresh_month(db, project_id, month)
        if changed:
            with db.begin() as conn:
                new += flag_changes(conn, project_id, changed)
    return new


def scan(db: Database, today: date) -> int:
    """Run every indicator; returns how many new warnings were opened.

    ``today`` may not lie in the future: "overdue as of next year" would open warnings about
    wages that are not yet due (InvalidInput).
    """
    try:
        not_future(today)
    except ValueError as exc:
        raise InvalidInput(f"scan date {today}: {exc}") from None
    new = _late_attendance(db, today)
    with db.begin() as conn:
        new += _batch_overdue(conn, today)
        new += _line_problems(conn)
        new += _attendance_without_line(conn)
        new += _site_access(conn)
        new += _not_paid_monthly(conn, today)
        new += training_expiring(conn, today)
        new += overdue_complaints(conn, today)
    return new
