"""Batch life cycle: compute (draft) → approve → submit → paid / partially paid.

Approval is where late attendance must surface: it recomputes the month's lines from the days
(which ingest keeps current, central/attendance/refresh.py), and if any line changed it
rewrites the draft and refuses, so the approver signs the numbers the evidence supports.
Attendance that still arrives after approval raises a warning
(central/warnings/late_attendance.py): never a silent change to a signed batch.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from central.attendance.closing import is_closed
from central.attendance.periods import due_date, month_range
from central.attendance.refresh import refresh_month
from central.clock import now_iso
from central.errors import N_, Conflict, fill
from central.payroll import compute_sql, step_notes
from central.payroll.adjustments import add_adjustment  # noqa: F401  (part of the batch API)
from central.payroll.compute import Computed, compute_month
from central.payroll.sources import related_projects
from central.registry.organisations import project
from central.storage import Database, schema
from central.storage.lookup import as_int, by_id, inserted_id
from central.warnings import wage_law
from central.warnings.store import raise_warning

EDITABLE = ("draft",)
PAYABLE = ("approved", "submitted", "partially_paid")


def log(
    conn: Connection,
    batch_id: int,
    action: str,
    by_user: str,
    note: str | None = None,
    *,
    line_id: int | None = None,
    params: Mapping[str, object] | None = None,
) -> None:
    """A step of the batch. ``note``: a person's words (a dispute, the bank's message);
    ``params``: central's own note as parameters of the action's msgid
    (central/payroll/step_notes.py), stored with its English text."""
    if params is not None:
        note = step_notes.english(action, params)
    conn.execute(
        schema.payroll_log.insert().values(
            batch_id=batch_id,
            line_id=line_id,
            action=action,
            by_user=by_user,
            at=now_iso(),
            note=note,
            params=json.dumps(dict(params), sort_keys=True) if params is not None else None,
        )
    )


def batch(conn: Connection, batch_id: int) -> dict[str, object]:
    return by_id(conn, schema.payroll_batches, batch_id, "payroll batch")


def lines(conn: Connection, batch_id: int) -> list[dict[str, object]]:
    p = schema.payroll_lines.c
    rows = conn.execute(
        select(schema.payroll_lines).where(p.batch_id == batch_id).order_by(p.worker_id)
    )
    return [dict(r._mapping) for r in rows]


@dataclass(slots=True)
class _Month:
    """A month computed but not stored: the set-based path's query, the workers it leaves to
    the Python path, and that path's lines for them. Approval compares it with the stored
    lines and, when they differ, stores this same computation (not a second one)."""

    query: compute_sql.MonthQuery | None
    others: set[str]
    computed: Computed


def _compute_month(conn: Connection, project_id: str, month: str) -> _Month:
    query = compute_sql.month_query(conn, project_id, month)
    others = compute_sql.irregular_workers(conn, query, project_id, month)
    return _Month(query, others, compute_month(conn, project_id, month, others))


def _write_lines(
    conn: Connection, batch_id: int, project_id: str, month: str, fresh: _Month | None = None
) -> Computed:
    """Replace the batch's lines and their per-day rows; raise the wage-law warnings.

    The regular worker-months are computed and inserted by the database
    (central/payroll/compute_sql.py); the rest by compute_month, as before. ``fresh``: the
    month as the caller has just computed it (the computation reads no payroll lines).
    """
    p, pd = schema.payroll_lines, schema.payroll_line_days
    old = select(p.c.id).where(p.c.batch_id == batch_id)
    conn.execute(pd.delete().where(pd.c.line_id.in_(old)))
    conn.execute(p.delete().where(p.c.batch_id == batch_id))
    m = fresh if fresh is not None else _compute_month(conn, project_id, month)
    query, others, computed = m.query, m.others, m.computed
    compute_sql.insert(conn, query, batch_id)
    rows = [
        {**line, "batch_id": batch_id, "state": "pending", "paid_fen": 0, "confirmation": "none"}
        for line in computed.lines
    ]
    for start in range(0, len(rows), 5000):
        conn.execute(p.insert(), rows[start : start + 5000])
    if computed.days:
        ids = dict(
            conn.execute(
                select(p.c.worker_id, p.c.id).where(
                    p.c.batch_id == batch_id, p.c.worker_id.in_(sorted(computed.days))
                )
            ).all()
        )
        day_rows = [
            {**day, "line_id": ids[worker_id]}
            for worker_id, days in computed.days.items()
            if worker_id in ids
            for day in days
        ]
        for start in range(0, len(day_rows), 5000):
            conn.execute(pd.insert(), day_rows[start : start + 5000])
    found = compute_sql.findings(conn, query, batch_id, computed.minimum_fen, others)
    computed.long_days = sorted(computed.long_days + found.long_days)
    computed.long_months = sorted(computed.long_months + found.long_months)
    computed.below_minimum = sorted(computed.below_minimum + found.below_minimum)
    wage_law.raise_for(conn, project_id, month, batch_id, computed)
    gross, net = conn.execute(
        select(
            func.coalesce(func.sum(p.c.gross_fen), 0), func.coalesce(func.sum(p.c.net_fen), 0)
        ).where(p.c.batch_id == batch_id)
    ).one()
    conn.execute(
        schema.payroll_batches.update()
        .where(schema.payroll_batches.c.id == batch_id)
        .values(gross_fen=int(gross), net_fen=int(net))
    )
    return computed  # the Python path's lines, and the findings of both


def month_lines(conn: Connection, project_id: str, month: str) -> list[dict[str, object]]:
    """The month's lines as a computation now gives them (not stored): both paths."""
    return _lines_of(conn, _compute_month(conn, project_id, month))


def _lines_of(conn: Connection, m: _Month) -> list[dict[str, object]]:
    return compute_sql.line_rows(conn, m.query) + m.computed.lines


def _refresh_related(db: Database, project_id: str, month: str) -> None:
    """The days the same workers worked on other projects count towards their 8-hour day."""
    with db.engine.connect() as conn:
        others = related_projects(conn, project_id, *month_range(month))
    for other in others:
        refresh_month(db, other, month)


def compute(db: Database, project_id: str, month: str, by_user: str) -> dict[str, object]:
    """Create the month's draft batch, or recompute it while it is still a draft."""
    refresh_month(db, project_id, month)
    _refresh_related(db, project_id, month)
    t = schema.payroll_batches
    with db.begin() as conn:
        proj = project(conn, project_id)
        existing = conn.execute(
            select(t.c.id, t.c.state).where(t.c.project_id == project_id, t.c.month == month)
        ).first()
        if existing is not None and existing.state not in EDITABLE:
            raise Conflict.of(
                N_("batch %(batch)s for %(month)s is %(state)s; not recomputed"),
                batch=existing.id,
                month=month,
                state=existing.state,
            )
        if existing is None:
            batch_id = inserted_id(
                conn.execute(
                    t.insert().values(
                        project_id=project_id,
                        month=month,
                        state="draft",
                        due_date=due_date(month, as_int(proj["pay_due_day"])).isoformat(),
                        gross_fen=0,
                        net_fen=0,
                        created_by=by_user,
                        created_at=now_iso(),
                    )
                )
            )
        else:
            batch_id = existing.id
        _write_lines(conn, batch_id, project_id, month)
        log(conn, batch_id, "computed", by_user)
        return batch(conn, batch_id)


def _lines_differing(stored: list[dict[str, object]], fresh: list[dict[str, object]]) -> int:
    """How many workers' lines a recomputation changes (ingest refreshes days on its own, so
    the batch's lines, not the days, tell whether attendance moved since the compute)."""
    old = {str(r["worker_id"]): r for r in stored}
    new = {str(r["worker_id"]): r for r in fresh}
    return sum(
        1
        for w in old.keys() | new.keys()
        if w not in old or w not in new or any(old[w].get(k) != v for k, v in new[w].items())
    )


class DisputedLines(Conflict):
    """A worker disputes their line: approval waits until the approver decides (a
    correction and recompute, the worker's answer, or holding those lines back)."""

    def __init__(self, batch_id: int, disputed: list[dict[str, object]]) -> None:
        self.disputed = disputed
        self.extra = {"disputed_lines": disputed}
        named = ", ".join(f"line {d['id']} (worker {d['worker_id']})" for d in disputed)
        msgid = N_("batch %(batch)s has disputed lines: %(lines)s")
        super().__init__(fill(msgid, {"batch": batch_id, "lines": named}))
        self.marked(msgid, batch=batch_id, lines=named)


def disputed_lines(conn: Connection, batch_id: int) -> list[dict[str, object]]:
    """The batch's disputed lines: id, worker, the worker's reason."""
    p = schema.payroll_lines.c
    rows = conn.execute(
        select(p.id, p.worker_id, p.confirmation_note)
        .where(p.batch_id == batch_id, p.confirmation == "disputed")
        .order_by(p.worker_id)
    )
    return [dict(r._mapping) for r in rows]


def approve(
    db: Database, batch_id: int, by_user: str, *, hold_disputed: bool = False
) -> dict[str, object]:
    """Approve a draft; refused while the month is open or if late events changed it.

    A disputed line blocks approval, naming each (:class:`DisputedLines`), unless the
    approver says to hold the disputed lines back (``hold_disputed``): they then stay out
    of the bank file (:func:`submit`) while the rest is paid.
    """
    with db.engine.connect() as conn:
        b = batch(conn, batch_id)
    if b["state"] != "draft":
        raise Conflict.of(
            N_("batch %(batch)s is %(state)s, only a draft can be approved"),
            batch=batch_id,
            state=b["state"],
        )
    project_id, month = str(b["project_id"]), str(b["month"])
    refresh_month(db, project_id, month)  # days ingest could not refresh, if any
    with db.begin() as conn:
        fresh = _compute_month(conn, project_id, month)
        differing = _lines_differing(lines(conn, batch_id), _lines_of(conn, fresh))
        if differing:
            _write_lines(conn, batch_id, project_id, month, fresh)
            log(conn, batch_id, "recomputed", by_user, params={"lines": differing})
    if differing:
        raise Conflict.of(
            N_(
                "attendance changed since the batch was computed (late events or corrections): "
                "%(lines)s line(s) recomputed; review the batch and approve again"
            ),
            lines=differing,
        )
    with db.begin() as conn:
        if not is_closed(conn, project_id, "month", month):
            raise Conflict.of(
                N_("close %(month)s for %(project)s first (every gate must report)"),
                month=month,
                project=project_id,
            )
        disputed = disputed_lines(conn, batch_id)
        if disputed and not hold_disputed:
            raise DisputedLines(batch_id, disputed)
        conn.execute(
            schema.payroll_batches.update()
            .where(schema.payroll_batches.c.id == batch_id)
            .values(state="approved", approved_by=by_user, approved_at=now_iso())
        )
        held = {"held": len(disputed)} if disputed else None
        log(conn, batch_id, "approved", by_user, params=held)
        return batch(conn, batch_id)


def submit(db: Database, batch_id: int, by_user: str) -> dict[str, object]:
    """Submit to the bank: disputed lines are held back and flagged, the rest go out."""
    with db.begin() as conn:
        b = batch(conn, batch_id)
        if b["state"] != "approved":
            raise Conflict.of(
                N_("batch %(batch)s is %(state)s, only an approved one is submitted"),
                batch=batch_id,
                state=b["state"],
            )
        p = schema.payroll_lines
        held = conn.execute(
            p.update()
            .where(p.c.batch_id == batch_id, p.c.confirmation == "disputed")
            .values(state="held")
        ).rowcount
        conn.execute(
            schema.payroll_batches.update()
            .where(schema.payroll_batches.c.id == batch_id)
            .values(state="submitted", submitted_by=by_user, submitted_at=now_iso())
        )
        log(conn, batch_id, "submitted", by_user, params={"held": held})
        return batch(conn, batch_id)


def settle_state(conn: Connection, batch_id: int) -> str:
    """paid when every line that went out is paid, partially_paid when some are."""
    states = [str(r["state"]) for r in lines(conn, batch_id)]
    out = [s for s in states if s != "held"]
    if out and all(s == "paid" for s in out) and "held" not in states:
        state = "paid"
    elif any(s == "paid" for s in out):
        state = "partially_paid"
    else:
        state = "submitted"
    conn.execute(
        schema.payroll_batches.update()
        .where(schema.payroll_batches.c.id == batch_id)
        .values(state=state, settled_at=now_iso() if state == "paid" else None)
    )
    return state


def retry_failed(db: Database, batch_id: int, by_user: str) -> int:
    """Failed lines go back to pending for the next export (after the card is fixed)."""
    with db.begin() as conn:
        b = batch(conn, batch_id)
        if b["state"] not in PAYABLE:
            raise Conflict.of(N_("batch %(batch)s is %(state)s"), batch=batch_id, state=b["state"])
        p = schema.payroll_lines
        n = conn.execute(
            p.update()
            .where(p.c.batch_id == batch_id, p.c.state == "failed")
            .values(state="pending")
        ).rowcount
        log(conn, batch_id, "retry", by_user, params={"lines": n})
        return n


def flag_dispute(conn: Connection, line: dict[str, object], b: dict[str, object]) -> None:
    raise_warning(
        conn,
        key=f"line_disputed:{line['id']}",
        kind="line_disputed",
        severity="medium",
        project_id=str(b["project_id"]),
        worker_id=str(line["worker_id"]),
        params={"worker": str(line["worker_id"]), "month": str(b["month"])},
        evidence={
            "batch_id": b["id"],
            "line_id": line["id"],
            "net_fen": line["net_fen"],
            "reason": line.get("confirmation_note"),
            "at": str(date.today()),
        },
    )
