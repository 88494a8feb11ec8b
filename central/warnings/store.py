"""Warnings as rows: one per fact (a stable ``key``), so rescanning never duplicates them."""

import json
from typing import Any

from sqlalchemy import Connection, select

from central.clock import now_iso
from central.errors import Conflict, InvalidInput, NotFound
from central.storage import Database, schema

SEVERITIES = ("high", "medium", "low")


def raise_warning(
    conn: Connection,
    *,
    key: str,
    kind: str,
    severity: str,
    project_id: str | None,
    subject: str,
    evidence: dict[str, Any],
    worker_id: str | None = None,
) -> bool:
    """Open a warning unless one with ``key`` exists; an open one gets the newest evidence.

    ``worker_id``: the worker it is about, so the worker's employer sees it too (a
    subcontractor sees the warnings about its own workers, central/auth/scope.py).
    Returns True when the warning is new. A handled warning stays handled: if the fact
    recurs in a new form (another month, another line) it has another key.
    """
    assert severity in SEVERITIES
    t = schema.wage_warnings
    state = conn.execute(select(t.c.state).where(t.c.key == key)).scalar_one_or_none()
    body = json.dumps(evidence, ensure_ascii=False, sort_keys=True, default=str)
    if state is None:
        conn.execute(
            t.insert().values(
                key=key,
                kind=kind,
                severity=severity,
                project_id=project_id,
                worker_id=worker_id,
                subject=subject,
                evidence=body,
                state="open",
                created_at=now_iso(),
            )
        )
        return True
    if state == "open":
        conn.execute(t.update().where(t.c.key == key).values(evidence=body, subject=subject))
    return False


def handle(db: Database, warning_id: int, note: str, by_user: str) -> dict[str, object]:
    """Mark a warning handled; the note says what was done (paid, retried, contract signed)."""
    if not note.strip():
        raise InvalidInput("handling a warning needs a note saying what was done")
    t = schema.wage_warnings
    with db.begin() as conn:
        row = conn.execute(select(t).where(t.c.id == warning_id)).first()
        if row is None:
            raise NotFound(f"warning {warning_id}")
        if row.state != "open":
            raise Conflict(f"warning {warning_id} is already {row.state}")
        conn.execute(
            t.update()
            .where(t.c.id == warning_id)
            .values(
                state="handled", note=note.strip()[:500], handled_by=by_user, handled_at=now_iso()
            )
        )
        return public(conn.execute(select(t).where(t.c.id == warning_id)).one()._mapping)


def public(row: Any) -> dict[str, object]:
    out = dict(row)
    out.pop("key", None)
    out["evidence"] = json.loads(out["evidence"])
    return out
