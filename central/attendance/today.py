"""A worker's today: checked in or not, at which gate and when, and where they may check in.

What the worker's Today page (central/web/routes/worker_today.py) and
``GET /api/v1/me/today`` both show, from one query over the raw check-ins of the day (not
the computed days, which are recomputed later): the last passage decides whether the worker
is on site now. ``face_enrolled`` says whether a gate can recognise them; without it they
check in with the QR code (``GET /api/v1/me/checkin-qr``).
"""

from datetime import date

from sqlalchemy import Connection, or_, select

from central.storage import schema


def current_projects(conn: Connection, worker_id: str, day: date) -> list[dict[str, object]]:
    """The projects the worker is employed on that day, with their names, by name."""
    e, p = schema.employments.c, schema.projects.c
    rows = conn.execute(
        select(p.id, p.name)
        .join(schema.employments, e.project_id == p.id)
        .where(
            e.worker_id == worker_id,
            e.start_date <= day.isoformat(),
            or_(e.end_date.is_(None), e.end_date >= day.isoformat()),
        )
        .distinct()
        .order_by(p.name, p.id)
    )
    return [dict(r._mapping) for r in rows]


def worker_today(conn: Connection, worker_id: str, day: date) -> dict[str, object]:
    """The worker's passages of ``day`` (site-local date) and what they add up to."""
    a, p = schema.attendance.c, schema.projects.c
    passages = [
        dict(r._mapping)
        for r in conn.execute(
            select(
                a.site.label("project_id"),
                p.name.label("project_name"),
                a.device.label("gate"),
                a.direction,
                a.method,
                a.captured_at,
            )
            .outerjoin(schema.projects, p.id == a.site)
            .where(a.worker_id == worker_id, a.local_date == day.isoformat())
            .order_by(a.captured_utc_us, a.event_id)
        )
    ]
    last = passages[-1] if passages else None
    status = "none" if last is None else "on_site" if last["direction"] == "in" else "left"
    first_in = next((x for x in passages if x["direction"] == "in"), None)
    t = schema.face_templates.c
    enrolled = (
        conn.execute(select(t.id).where(t.worker_id == worker_id).limit(1)).first() is not None
    )
    return {
        "date": day.isoformat(),
        "status": status,
        "first_in": first_in,
        "last": last,
        "passages": passages,
        "projects": current_projects(conn, worker_id, day),
        "face_enrolled": enrolled,
    }
