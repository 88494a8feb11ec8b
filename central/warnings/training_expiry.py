"""Safety training about to expire: a warning for the site manager ``warn_days`` before the
end of a worker's newest valid training on a project they still work on (the project's
training rule sets the days, central/training/entry.py; 14 when it has none). A training
renewed meanwhile (a newer record) raises nothing; once expired, a gate rule keeps the worker
out (central/training/entry.py) and this warning says why.

The database finds them: a province keeps millions of training records and employments, and
loading them all into Python on every scan took memory and minutes. One statement reads only
the records ending between today and the longest warning horizon that no newer record of the
same (project, worker, course) supersedes ("newer": a later end, then a later id), of workers
still employed there; Python keeps those within their own project's days."""

from datetime import date, timedelta

from sqlalchemy import Connection, and_, exists, func, or_, select

from central.storage import schema
from central.training.entry import DEFAULT_WARN_DAYS
from central.warnings.store import Raised, raise_many

KIND = "training_expiring"


def training_expiring(conn: Connection, today: date) -> int:
    """Open a warning per (project, worker, course) whose newest record ends within the
    project's warning days; returns how many are new."""
    t, e, r = schema.trainings.c, schema.employments.c, schema.training_rules.c
    longest = conn.execute(select(func.max(r.warn_days))).scalar_one_or_none() or 0
    horizon = (today + timedelta(days=max(DEFAULT_WARN_DAYS, int(longest)))).isoformat()
    newer = schema.trainings.alias("newer")
    superseded = exists().where(
        newer.c.project_id == t.project_id,
        newer.c.worker_id == t.worker_id,
        newer.c.course == t.course,
        newer.c.valid_until.is_not(None),
        or_(
            newer.c.valid_until > t.valid_until,
            and_(newer.c.valid_until == t.valid_until, newer.c.id > t.id),
        ),
    )
    employed = exists().where(
        e.project_id == t.project_id,
        e.worker_id == t.worker_id,
        (e.end_date.is_(None)) | (e.end_date >= today.isoformat()),
    )
    rows = conn.execute(
        select(t.id, t.worker_id, t.project_id, t.course, t.valid_until, r.warn_days)
        .outerjoin(schema.training_rules, r.project_id == t.project_id)
        .where(
            t.project_id.is_not(None),
            t.valid_until >= today.isoformat(),
            t.valid_until <= horizon,
            ~superseded,
            employed,
        )
        .order_by(t.id)
    )
    found = []
    for training_id, worker_id, project_id, course, valid_until, warn_days in rows:
        days = DEFAULT_WARN_DAYS if warn_days is None else int(warn_days)
        left = (date.fromisoformat(valid_until) - today).days
        if left > days:
            continue
        found.append(
            Raised(
                key=f"{KIND}:{training_id}",
                kind=KIND,
                severity="medium",
                project_id=project_id,
                worker_id=worker_id,
                params={"worker": worker_id, "course": course, "valid_until": valid_until},
                evidence={"training_id": training_id, "days_left": left, "warn_days": days},
            )
        )
    return raise_many(conn, found)
