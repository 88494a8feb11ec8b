"""Warnings as rows: one per fact (a stable ``key``), so rescanning never duplicates them."""

import json
from typing import Any

from sqlalchemy import Connection, select

from central.clock import now_iso
from central.storage import schema

SEVERITIES = ("high", "medium", "low")
SYSTEM = "system"  # the actor of what the indicators and scanners do on their own


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
        created = conn.execute(
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
        key_row = created.inserted_primary_key
        assert key_row is not None  # an INSERT of one row always has its key
        add_history(conn, int(key_row[0]), SYSTEM, None, "raised")
        return True
    if state == "open":
        conn.execute(t.update().where(t.c.key == key).values(evidence=body, subject=subject))
    return False


def add_history(
    conn: Connection,
    warning_id: int,
    actor: str,
    role: str | None,
    action: str,
    note: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one action to the warning's history (who, when, what, the note) and stamp the
    warning as changed: the queue sorts by it and the detail page shows every row."""
    at = now_iso()
    conn.execute(
        schema.warning_history.insert().values(
            warning_id=warning_id,
            at=at,
            actor=actor[:64],
            actor_role=role,
            action=action,
            note=note,
            detail=None if detail is None else json.dumps(detail, ensure_ascii=False, default=str),
        )
    )
    t = schema.wage_warnings
    conn.execute(t.update().where(t.c.id == warning_id).values(updated_at=at))


def resolve_by_system(conn: Connection, warning_id: int, why: str) -> None:
    """Close an open warning whose fact has ended (a gate heard from again, a dust alarm
    cleared): handled by ``system`` with the reason as its note, in its history."""
    t = schema.wage_warnings
    conn.execute(
        t.update()
        .where(t.c.id == warning_id, t.c.state == "open")
        .values(state="handled", note=why[:500], handled_by=SYSTEM, handled_at=now_iso())
    )
    add_history(conn, warning_id, SYSTEM, None, "resolved", why[:500])


def public(row: Any) -> dict[str, object]:
    out = dict(row)
    out.pop("key", None)
    out["evidence"] = json.loads(out["evidence"])
    return out
