"""Warnings as rows: one per fact (a stable ``key``), so rescanning never duplicates them.

A warning's subject is its ``kind`` and ``params`` (central/warnings/subjects.py): the console
says it in the reader's language; ``subject`` keeps the English text for the API and CLI.
"""

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from central.clock import now_iso
from central.storage import schema
from central.warnings.subjects import english, system_note

SEVERITIES = ("high", "medium", "low")
SYSTEM = "system"  # the actor of what the indicators and scanners do on their own


def raise_warning(
    conn: Connection,
    *,
    key: str,
    kind: str,
    severity: str,
    project_id: str | None,
    evidence: dict[str, Any],
    params: Mapping[str, Any] | None = None,
    subject: str | None = None,
    worker_id: str | None = None,
) -> bool:
    """Open a warning unless one with ``key`` exists; an open one gets the newest evidence.

    ``worker_id``: the worker it is about, so the worker's employer sees it too (a
    subcontractor sees the warnings about its own workers, central/auth/scope.py).
    ``params``: the subject's parameters for the kind's msgid (central/warnings/subjects.py);
    a kind without a msgid there passes an English ``subject`` instead (shown as written).
    Returns True when the warning is new. A handled warning stays handled: if the fact
    recurs in a new form (another month, another line) it has another key.
    """
    assert severity in SEVERITIES
    if params is not None:
        subject = english(kind, params)
    if subject is None:
        raise ValueError(f"warning {key}: neither params nor a subject")
    params_text = None if params is None else json.dumps(params, ensure_ascii=False, sort_keys=True)
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
                subject=subject[:200],
                params=params_text,
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
        conn.execute(
            t.update()
            .where(t.c.key == key)
            .values(evidence=body, subject=subject[:200], params=params_text)
        )
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


def resolve_by_system(
    conn: Connection, warning_id: int, note_kind: str, note_params: Mapping[str, Any]
) -> None:
    """Close an open warning whose fact has ended (a gate heard from again, a dust alarm
    cleared): handled by ``system``, the reason a note of ``SYSTEM_NOTES`` (stored in English,
    shown in the reader's language from the history row's detail)."""
    why = system_note(note_kind, note_params)
    t = schema.wage_warnings
    conn.execute(
        t.update()
        .where(t.c.id == warning_id, t.c.state == "open")
        .values(state="handled", note=why, handled_by=SYSTEM, handled_at=now_iso())
    )
    detail = {"note_kind": note_kind, "note_params": dict(note_params)}
    add_history(conn, warning_id, SYSTEM, None, "resolved", why, detail)


def public(row: Any) -> dict[str, object]:
    out = dict(row)
    out.pop("key", None)
    out["evidence"] = json.loads(out["evidence"])
    out["params"] = json.loads(out["params"]) if out.get("params") else None
    return out
