"""Handling a warning: assign, note, resolve, reopen, escalate. Each action is one history row
(who, when, what, the note) and one audit row, in the same transaction as the change.

Who may act is decided before these run, by the caller's scope (central/auth/scope.py:
``require_warning``, ``require_assignable``, ``escalation_target``); these keep the
warning's own rules: only an open warning is resolved or escalated, only a handled one
reopened, and a note says why (the reader of the history was not in the room).
"""

import json
from typing import Any

from sqlalchemy import Connection, Row, select

from central import audit
from central.clock import now_iso
from central.errors import N_, Conflict, InvalidInput, NotFound
from central.storage import Database, schema
from central.warnings.store import add_history, public

NOTE_LENGTH = 500


def _note(note: str | None, required: bool) -> str | None:
    text = (note or "").strip()
    if required and not text:
        raise InvalidInput.of(N_("this action needs a note saying what was done and why"))
    return text[:NOTE_LENGTH] or None


def _load(conn: Connection, warning_id: int) -> Row[Any]:
    t = schema.wage_warnings
    row = conn.execute(select(t).where(t.c.id == warning_id)).first()
    if row is None:
        raise NotFound(f"warning {warning_id}")
    return row


def _act(
    db: Database,
    warning_id: int,
    actor: audit.Actor,
    action: str,
    note: str | None,
    detail: dict[str, Any] | None,
    check: Any,
    changes: Any,
) -> dict[str, object]:
    """Load, check (``check(row)`` raises Conflict), apply ``changes(row)``, record, answer."""
    t = schema.wage_warnings
    with db.begin() as conn:
        row = _load(conn, warning_id)
        check(row)
        values = changes(row)
        if values:
            conn.execute(t.update().where(t.c.id == warning_id).values(**values))
        add_history(conn, warning_id, actor.name, actor.role, action, note, detail)
        audit.record(
            conn,
            actor,
            f"warning.{action}",
            target_kind="warning",
            target_id=warning_id,
            project_id=row.project_id,
            detail={"kind": row.kind, **(detail or {})},
        )
        return public(_load(conn, warning_id)._mapping)


def _must_be(state: str, verb: str) -> Any:
    def check(row: Row[Any]) -> None:
        if row.state != state:
            raise Conflict.of(
                N_("warning %(warning)s is %(state)s: only an %(wanted)s one can be %(verb)s"),
                warning=row.id,
                state=row.state,
                wanted=state,
                verb=verb,
            )

    return check


def _anything(_row: Row[Any]) -> None:
    return None


def assign(
    db: Database, warning_id: int, actor: audit.Actor, assignee: str | None, note: str | None
) -> dict[str, object]:
    """Give the warning to ``assignee`` (a username the caller's scope check allowed), or to
    nobody with None."""
    return _act(
        db,
        warning_id,
        actor,
        "assigned",
        _note(note, required=False),
        {"assignee": assignee},
        _anything,
        lambda _row: {"assignee": assignee},
    )


def add_note(db: Database, warning_id: int, actor: audit.Actor, note: str) -> dict[str, object]:
    """A note in the history (a call made, a visit planned) that changes nothing else."""
    return _act(db, warning_id, actor, "noted", _note(note, True), None, _anything, lambda _row: {})


def resolve(db: Database, warning_id: int, actor: audit.Actor, note: str) -> dict[str, object]:
    """Close an open warning, the note saying what was done (paid, retried, gate repaired)."""
    text = _note(note, required=True)
    return _act(
        db,
        warning_id,
        actor,
        "resolved",
        text,
        None,
        _must_be("open", "resolved"),
        lambda _row: {
            "state": "handled",
            "note": text,
            "handled_by": actor.name[:64],
            "handled_at": now_iso(),
        },
    )


def reopen(db: Database, warning_id: int, actor: audit.Actor, note: str) -> dict[str, object]:
    """Open a handled warning again (the fix did not hold); the old resolution stays in the
    history."""
    return _act(
        db,
        warning_id,
        actor,
        "reopened",
        _note(note, required=True),
        None,
        _must_be("handled", "reopened"),
        lambda _row: {"state": "open", "note": None, "handled_by": None, "handled_at": None},
    )


def escalate(
    db: Database, warning_id: int, actor: audit.Actor, to_division: str, note: str
) -> dict[str, object]:
    """Hand an open warning up to the supervisors of ``to_division`` (the level above the
    caller's, central/auth/scope.py ``escalation_target``)."""
    return _act(
        db,
        warning_id,
        actor,
        "escalated",
        _note(note, required=True),
        {"to": to_division},
        _must_be("open", "escalated"),
        lambda _row: {"escalated_to": to_division},
    )


def history(conn: Connection, warning_id: int) -> list[dict[str, object]]:
    """Every action on the warning, oldest first."""
    h = schema.warning_history.c
    rows = conn.execute(
        select(h.at, h.actor, h.actor_role, h.action, h.note, h.detail)
        .where(h.warning_id == warning_id)
        .order_by(h.id)
    )
    return [{**r._mapping, "detail": json.loads(r.detail) if r.detail else {}} for r in rows]


def detail(conn: Connection, warning_id: int) -> dict[str, object]:
    """The warning as the API shows it, with its history (the caller's scope checked first)."""
    row = _load(conn, warning_id)
    return {**public(row._mapping), "history": history(conn, warning_id)}
