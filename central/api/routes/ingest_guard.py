"""What ingest kept but did not count (held events) and what it refused, collapsed to counts."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.ingest_guard import DeadLetterCountPublic, HeldEventPublic
from central.auth.deps import CurrentUser
from central.auth.scope import require_role, visible_projects, whole_projects
from central.auth.users import Role
from central.storage import schema
from central.storage.project_scope import in_scope
from central.validation import Code

router = APIRouter(tags=["operations"])


@router.get(
    "/api/v1/held-events",
    response_model=list[HeldEventPublic],
    responses=error_responses(*AUTHENTICATED, 403),
)
def held_events(
    db: DbDep,
    who: CurrentUser,
    reason: Code | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[HeldEventPublic]:
    """Signed attendance stored as evidence but not counted, newest first, with the reason.

    For the clerks of whole projects (the general contractor's admins, site managers,
    supervisors): a held event may name a worker id nobody registered, so only those who see
    every worker of the project see it.
    """
    require_role(who, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
    h = schema.held_events.c
    q = select(schema.held_events)
    if reason:
        q = q.where(h.reason == reason)
    with db.engine.connect() as conn:
        q = q.where(in_scope(h.site, whole_projects(conn, who)))
        rows = conn.execute(q.order_by(h.received_at.desc(), h.event_id).limit(limit))
        return [HeldEventPublic.model_validate(dict(r._mapping)) for r in rows]


@router.get(
    "/api/v1/dead-letter-counts",
    response_model=list[DeadLetterCountPublic],
    responses=error_responses(*AUTHENTICATED, 403),
)
def dead_letter_counts(
    db: DbDep,
    who: CurrentUser,
    reason: Code | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterCountPublic]:
    """Every dead letter counted per sender, reason and hour, newest hour first: a flood
    shows here as one row with its count (operators only, like the dead letters)."""
    require_role(who, Role.SUPERVISOR)
    c = schema.dead_letter_counts.c
    q = select(
        c.site,
        c.device,
        c.reason,
        c.hour,
        c.count,
        c.bytes,
        c.first_seen,
        c.last_seen,
        c.sample_topic,
    )
    if reason:
        q = q.where(c.reason == reason)
    with db.engine.connect() as conn:
        # a supervisor: the senders of its own jurisdiction only
        q = q.where(in_scope(c.site, visible_projects(conn, who)))
        rows = conn.execute(q.order_by(c.hour.desc(), c.count.desc()).limit(limit))
        return [DeadLetterCountPublic.model_validate(dict(r._mapping)) for r in rows]
