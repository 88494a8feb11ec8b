"""Verified attendance that must not count: kept as evidence, held with a reason a clerk sees.

A valid signature proves which gate wrote an event, not that the gate's clock or roster was
right. Attendance becomes wages, so two kinds of signed event are stored (the evidence, acked
``stored`` so the gate does not resend it forever) but get no attendance row, only a
``held_events`` row (docs/protocol.md section 10, docs/wages.md):

- ``implausible_time``: ``captured_at`` more than ``PAST`` before central received it (35
  days: beyond the 30-day replay window on ``created_at`` plus a gate's longest plausible
  delay between seeing a worker and sealing the envelope), more than ``FUTURE`` after it
  (10 minutes: a gate clock that far ahead is wrong), or later than the envelope's own
  ``created_at`` by more than ``SKEW`` (2 minutes; a gate stamps the event when it sees the
  worker and seals it right after). Years 0001, 2099 or 9999 all land here.
- ``unknown_worker``: the site is a registered project and no worker has that id. Sites
  that are not registered projects (a gate used for attendance only) are not judged.

Held events are never counted, even when a worker with that id is registered later: the
decision is taken once, on receipt, from what central knew then.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from central.storage import Database, schema
from central.storage.database import Hold
from wireproto import Envelope
from wireproto.messages import AttendanceBody

PAST = timedelta(days=35)
FUTURE = timedelta(minutes=10)
SKEW = timedelta(minutes=2)

IMPLAUSIBLE_TIME = "implausible_time"
UNKNOWN_WORKER = "unknown_worker"


def time_hold(env: Envelope, received: datetime, past: timedelta = PAST) -> Hold | None:
    """Why this attendance event's capture time cannot be believed, if it cannot.

    ``past`` is the deployment's setting (``serve --max-capture-age-days``): raised only to
    take in a gate's records of an older month on purpose, e.g. when moving a site over.
    """
    body = env.body
    if not isinstance(body, AttendanceBody):
        return None
    captured = body.captured_at
    if captured < received - past:
        why = f"captured_at {captured.isoformat()} is over {past.days} days before receipt"
    elif captured > received + FUTURE:
        minutes = int(FUTURE.total_seconds() // 60)
        why = f"captured_at {captured.isoformat()} is over {minutes} min after receipt"
    elif captured > env.created_at + SKEW:
        why = f"captured_at {captured.isoformat()} is after created_at {env.created_at.isoformat()}"
    else:
        return None
    return Hold(IMPLAUSIBLE_TIME, why, body.worker_id)


def unknown_workers(db: Database, events: Sequence[Envelope]) -> set[tuple[str, str]]:
    """(site, worker_id) of these attendance events at registered projects with no such worker.

    Two indexed queries per batch, only when the batch has attendance: exact, so a worker
    registered a second ago is known, and cheap next to the batch's insert.
    """
    pairs = {(e.site, e.body.worker_id) for e in events if isinstance(e.body, AttendanceBody)}
    if not pairs:
        return set()
    sites = {site for site, _ in pairs}
    with db.engine.connect() as conn:
        p = schema.projects.c
        projects = set(conn.execute(select(p.id).where(p.id.in_(sites))).scalars())
        judged = {(s, w) for s, w in pairs if s in projects}
        if not judged:
            return set()
        w = schema.workers.c
        wanted = {worker for _, worker in judged}
        known = set(conn.execute(select(w.id).where(w.id.in_(wanted))).scalars())
    return {(s, worker) for s, worker in judged if worker not in known}
