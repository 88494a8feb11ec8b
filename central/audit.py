"""The audit log: an append-only record of who did what, queryable by admins and supervisors.

Every login (success and failure), every whole-number reveal (``reveal=true``, bank file
export), every account and scope change, every warning handled, card replacement and reversed
adjustment writes one row here, in the same transaction as the change it records where there
is one. ``detail`` is JSON for people; it never holds a password, token, secret or a whole ID
or card number (pass masked forms).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from central.clock import utc_us
from central.storage import schema
from central.storage.project_scope import in_scope


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a username and role (``"-"`` for an unknown caller), and their address."""

    name: str
    role: str | None = None
    client: str | None = None


SYSTEM = Actor("system", "system")


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    *,
    target_kind: str | None = None,
    target_id: object = None,
    project_id: str | None = None,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Append one audit row inside the caller's transaction."""
    now = datetime.now(UTC)
    conn.execute(
        schema.audit_log.insert().values(
            at=now.isoformat(timespec="seconds"),
            at_utc_us=utc_us(now),
            actor=actor.name[:64],
            actor_role=actor.role,
            action=action,
            target_kind=target_kind,
            target_id=None if target_id is None else str(target_id)[:64],
            project_id=project_id,
            client=(actor.client or None) and actor.client[:64],
            detail=None if detail is None else json.dumps(detail, ensure_ascii=False, default=str),
        )
    )


def entries(
    conn: Connection,
    *,
    projects: set[str] | None = None,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[dict[str, object]]:
    """Newest first; ``projects`` narrows to rows of those projects (None: every row)."""
    a = schema.audit_log.c
    q = select(schema.audit_log).order_by(a.id.desc()).limit(limit)
    q = q.where(in_scope(a.project_id, projects))
    if action:
        q = q.where(a.action == action)
    if actor:
        q = q.where(a.actor == actor)
    if before_id is not None:
        q = q.where(a.id < before_id)
    return [dict(r._mapping) for r in conn.execute(q)]
