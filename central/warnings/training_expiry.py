"""Safety training about to expire: a warning for the site manager ``warn_days`` before the
end of a worker's newest valid training on a project they still work on (the project's
training rule sets the days, central/training/entry.py; 14 when it has none). A training
renewed meanwhile (a newer record) raises nothing; once expired, a gate rule keeps the worker
out (central/training/entry.py) and this warning says why."""

from datetime import date, timedelta

from sqlalchemy import Connection, select

from central.storage import schema
from central.training.entry import DEFAULT_WARN_DAYS
from central.warnings.store import raise_warning

KIND = "training_expiring"


def training_expiring(conn: Connection, today: date) -> int:
    """Open a warning per (project, worker, course) whose newest record ends within the
    project's warning days; returns how many are new."""
    t, e, r = schema.trainings.c, schema.employments.c, schema.training_rules.c
    warn = dict(conn.execute(select(r.project_id, r.warn_days)).all())
    horizon = (today + timedelta(days=max([DEFAULT_WARN_DAYS, *warn.values()]))).isoformat()
    newest: dict[tuple[str, str, str], tuple[int, str]] = {}
    for row in conn.execute(
        select(t.id, t.worker_id, t.project_id, t.course, t.valid_until)
        .where(t.project_id.is_not(None), t.valid_until.is_not(None))
        .order_by(t.valid_until, t.id)
    ):
        newest[(row.project_id, row.worker_id, row.course)] = (row.id, row.valid_until)
    employed = set(
        conn.execute(
            select(e.project_id, e.worker_id).where(
                (e.end_date.is_(None)) | (e.end_date >= today.isoformat())
            )
        )
    )
    new = 0
    for (project_id, worker_id, course), (training_id, valid_until) in newest.items():
        if valid_until > horizon or valid_until < today.isoformat():
            continue
        if (project_id, worker_id) not in employed:
            continue
        days = warn.get(project_id, DEFAULT_WARN_DAYS)
        left = (date.fromisoformat(valid_until) - today).days
        if left > days:
            continue
        new += raise_warning(
            conn,
            key=f"{KIND}:{training_id}",
            kind=KIND,
            severity="medium",
            project_id=project_id,
            worker_id=worker_id,
            params={"worker": worker_id, "course": course, "valid_until": valid_until},
            evidence={"training_id": training_id, "days_left": left, "warn_days": days},
        )
    return new
