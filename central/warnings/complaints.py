"""The SLA of a worker's wage complaint: unhandled past its due date → a ``complaint_overdue``
warning for the same supervisors, high severity, and a line in the complaint's own history.

"Handled" means a person acted on it: any action on its warning by someone other than
``system`` (assigned, noted, resolved, escalated), or any change to its arrears case. The due
date was fixed when it was filed (central/complaints/filing.py, ``complaint_sla_days``), so
the scan needs no setting and changing the setting never moves a promise already made.
Each complaint is overdue at most once (its key); the worker sees it among the steps.
"""

from datetime import date

from sqlalchemy import Connection, exists, select

from central.clock import now_iso
from central.storage import schema
from central.warnings.store import SYSTEM, add_history, raise_warning
from central.warnings.subjects import system_note

OVERDUE_KIND = "complaint_overdue"


def overdue_complaints(conn: Connection, today: date) -> int:
    """Raise the warning for every complaint past its due date with no one's action on it."""
    c, h, log = schema.wage_complaints.c, schema.warning_history.c, schema.audit_log.c
    acted = exists().where(h.warning_id == c.warning_id, h.actor != SYSTEM)
    case_changed = exists().where(
        log.target_kind == "arrears_case",
        log.target_id == c.arrears_case_id.cast(log.target_id.type),
        log.action == "arrears.updated",
    )
    rows = conn.execute(
        select(c.id, c.project_id, c.worker_id, c.due_on, c.warning_id, c.arrears_case_id).where(
            c.overdue_at.is_(None), c.due_on < today.isoformat(), ~acted, ~case_changed
        )
    ).all()
    for r in rows:
        raise_warning(
            conn,
            key=f"{OVERDUE_KIND}:{r.id}",
            kind=OVERDUE_KIND,
            severity="high",
            project_id=r.project_id,
            worker_id=r.worker_id,
            params={"complaint": r.id, "due_on": r.due_on},
            evidence={
                "complaint": r.id,
                "due_on": r.due_on,
                "complaint_warning": r.warning_id,
                "arrears_case": r.arrears_case_id,
            },
        )
        if r.warning_id is not None:  # a system note: shown in the reader's language
            params = {"due_on": r.due_on}
            add_history(
                conn,
                r.warning_id,
                SYSTEM,
                None,
                "noted",
                system_note(OVERDUE_KIND, params),
                {"note_kind": OVERDUE_KIND, "note_params": params},
            )
        t = schema.wage_complaints
        conn.execute(t.update().where(t.c.id == r.id).values(overdue_at=now_iso()))
    return len(rows)
