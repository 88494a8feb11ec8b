"""Warnings as rows: one per fact (a stable ``key``), so rescanning never duplicates them.

A warning's subject is its ``kind`` and ``params`` (central/warnings/subjects.py): the console
says it in the reader's language; ``subject`` keeps the English text for the API and CLI.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

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
    one = Raised(
        key=key,
        kind=kind,
        severity=severity,
        project_id=project_id,
        evidence=evidence,
        params=params,
        worker_id=worker_id,
        subject=subject,
    )
    return raise_many(conn, [one]) == 1  # one fact: the same statements as many


@dataclass(frozen=True, slots=True)
class Raised:
    """One warning for :func:`raise_many` (the arguments of :func:`raise_warning`)."""

    key: str
    kind: str
    severity: str
    project_id: str | None
    evidence: dict[str, Any]
    params: Mapping[str, Any] | None
    worker_id: str | None = None
    subject: str | None = None  # English, for a kind without a msgid (instead of params)

    def __post_init__(self) -> None:
        assert self.severity in SEVERITIES
        if self.params is None and self.subject is None:
            raise ValueError(f"warning {self.key}: neither params nor a subject")


def raise_many(conn: Connection, warnings: Sequence[Raised]) -> int:
    """:func:`raise_warning` for many facts in a few statements (a region's payroll finds
    overtime for a hundred thousand workers at once; :func:`raise_warning` is this for one).
    Returns how many are new."""
    t, h = schema.wage_warnings, schema.warning_history
    by_key = {w.key: w for w in warnings}
    keys = list(by_key)
    state: dict[str, str] = {}
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        state.update(conn.execute(select(t.c.key, t.c.state).where(t.c.key.in_(chunk))).all())
    at = now_iso()

    def texts(w: Raised) -> dict[str, object]:
        if w.params is None:
            subject, params = str(w.subject), None
        else:
            subject = english(w.kind, w.params)
            params = json.dumps(w.params, ensure_ascii=False, sort_keys=True)
        return {
            "subject": subject[:200],
            "params": params,
            "evidence": json.dumps(w.evidence, ensure_ascii=False, sort_keys=True, default=str),
        }

    new = [k for k in keys if k not in state]
    rows = [
        {
            "key": k,
            "kind": by_key[k].kind,
            "severity": by_key[k].severity,
            "project_id": by_key[k].project_id,
            "worker_id": by_key[k].worker_id,
            "state": "open",
            "created_at": at,
            "updated_at": at,
            **texts(by_key[k]),
        }
        for k in new
    ]
    for start in range(0, len(rows), 5000):
        conn.execute(t.insert(), rows[start : start + 5000])
    for start in range(0, len(new), 1000):
        chunk = new[start : start + 1000]
        made = conn.execute(select(t.c.id).where(t.c.key.in_(chunk))).scalars().all()
        history = [{"warning_id": i, "at": at, "actor": SYSTEM, "action": "raised"} for i in made]
        if history:
            conn.execute(h.insert(), history)
    still_open = [
        {"k": k, "e": v["evidence"], "s": v["subject"], "p": v["params"]}
        for k in keys
        if state.get(k) == "open"
        for v in (texts(by_key[k]),)
    ]
    if still_open:
        conn.execute(
            t.update()
            .where(t.c.key == bindparam("k"))
            .values(evidence=bindparam("e"), subject=bindparam("s"), params=bindparam("p")),
            still_open,
        )
    return len(new)


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
