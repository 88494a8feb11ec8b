"""Supplementary punches (补卡): a worker asks for a day the gate missed, the site decides.

A gate can miss a worker (a queue at the turnstile at knock-off time, a camera down, a
forgotten card). The worker names the project, the day, when they came and left and why;
the request waits in the site manager's queue. Approving it is an ordinary attendance
correction (:func:`central.attendance.days.correct_day`: append-only, before and after, the
reason, the day recomputed), so the payroll sees the day exactly as any other correction;
refusing it needs a reason the worker reads. Every step is in the audit log.

Refused up front, with the field named: a day in the future, a day outside the worker's
employment on the project, a day or month already closed (or whose wages are already
approved), and a second open request for the same day.

Scope (who may ask, who may decide, which requests a caller sees) is decided by the callers
through central/auth/scope.py; these functions trust the ids they are given.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select

from central import audit
from central.attendance import days as attendance_days
from central.attendance.closing import is_closed
from central.attendance.periods import month_of, month_range
from central.clock import now_iso
from central.errors import N_, Conflict, InvalidInput, NotFound, fill
from central.registry.organisations import project_zone
from central.storage import Database, schema
from central.storage.lookup import as_int

OPEN, APPROVED, REFUSED = "open", "approved", "refused"
STATES = (OPEN, APPROVED, REFUSED)


class FieldInvalid(InvalidInput):
    """A value of the request that fails a rule; ``field`` names it (in the error body too)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.extra = {"field": field}
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, slots=True)
class PunchRequestIn:
    """What a worker asks for: the project, the day, when they came and left (site time)."""

    project_id: str
    local_date: date
    first_in: time
    last_out: time
    reason: str


def _employment_covers(conn: Connection, project_id: str, worker_id: str, day: date) -> None:
    """404 when the worker has no employment on the project; 422 (day) outside all of them."""
    e = schema.employments.c
    spans = conn.execute(
        select(e.start_date, e.end_date).where(e.project_id == project_id, e.worker_id == worker_id)
    ).all()
    if not spans:
        raise NotFound(f"project {project_id}")
    text = day.isoformat()
    if not any(s.start_date <= text and (s.end_date is None or text <= s.end_date) for s in spans):
        shown = "; ".join(f"{s.start_date} – {s.end_date or '…'}" for s in spans)
        msgid = N_("%(day)s is outside the employment on this project (%(spans)s)")
        raise FieldInvalid("day", fill(msgid, {"day": text, "spans": shown})).marked(
            msgid, day=text, spans=shown
        )


def _period_open(conn: Connection, project_id: str, day: date) -> None:
    """409 when the day or its month is closed, or the month's wages are past their draft."""
    month = month_of(day)
    if is_closed(conn, project_id, "day", day.isoformat()) or is_closed(
        conn, project_id, "month", month
    ):
        raise Conflict.of(
            N_("day: %(day)s is in a closed period; it can no longer change"), day=day.isoformat()
        )
    b = schema.payroll_batches.c
    state = conn.execute(
        select(b.state).where(b.project_id == project_id, b.month == month)
    ).scalar_one_or_none()
    if state is not None and state != "draft":
        raise Conflict.of(
            N_("day: the wages of %(month)s are already %(state)s; it can no longer change"),
            month=month,
            state=state,
        )


def _times(
    conn: Connection, project_id: str, body: PunchRequestIn
) -> tuple[datetime, datetime, datetime]:
    """The in and out moments in the project's zone, and now there; 422 naming the field."""
    zone = project_zone(conn, project_id)
    now = datetime.now(zone)
    if body.local_date > now.date():
        msgid, day = N_("%(day)s is in the future"), body.local_date.isoformat()
        raise FieldInvalid("day", fill(msgid, {"day": day})).marked(msgid, day=day)
    first_in = datetime.combine(body.local_date, body.first_in.replace(tzinfo=None), zone)
    last_out = datetime.combine(body.local_date, body.last_out.replace(tzinfo=None), zone)
    if last_out <= first_in:
        raise FieldInvalid(
            "last_out", N_("must be later than the time in, on the same day")
        ).marked(N_("must be later than the time in, on the same day"))
    if last_out > now:
        raise FieldInvalid("last_out", N_("is in the future")).marked(N_("is in the future"))
    return first_in.replace(microsecond=0), last_out.replace(microsecond=0), now


def request(
    db: Database, worker_id: str, body: PunchRequestIn, actor: audit.Actor
) -> dict[str, object]:
    """File a worker's request (the caller is that worker); it waits in the site's queue."""
    reason = body.reason.strip()
    if len(reason) < 3:
        raise FieldInvalid("reason", N_("say in a few words why the gate missed the day")).marked(
            N_("say in a few words why the gate missed the day")
        )
    with db.begin() as conn:
        _employment_covers(conn, body.project_id, worker_id, body.local_date)
        first_in, last_out, now = _times(conn, body.project_id, body)
        _period_open(conn, body.project_id, body.local_date)
        r = schema.punch_requests.c
        duplicate = conn.execute(
            select(r.id).where(
                r.project_id == body.project_id,
                r.worker_id == worker_id,
                r.local_date == body.local_date.isoformat(),
                r.state == OPEN,
            )
        ).first()
        if duplicate is not None:
            raise Conflict.of(
                N_("day: request %(request)s for %(day)s is still open"),
                request=duplicate.id,
                day=body.local_date.isoformat(),
            )
        new_id = conn.execute(
            schema.punch_requests.insert().values(
                project_id=body.project_id,
                worker_id=worker_id,
                local_date=body.local_date.isoformat(),
                first_in=first_in.isoformat(),
                last_out=last_out.isoformat(),
                reason=reason[:500],
                state=OPEN,
                requested_at=now.isoformat(timespec="seconds"),
            )
        ).inserted_primary_key
        assert new_id is not None
        request_id = int(new_id[0])
        audit.record(
            conn,
            actor,
            "punch_request.filed",
            target_kind="punch_request",
            target_id=request_id,
            project_id=body.project_id,
            detail={"worker_id": worker_id, "day": body.local_date.isoformat()},
        )
        return get(conn, request_id)


def get(conn: Connection, request_id: int) -> dict[str, object]:
    row = conn.execute(
        select(schema.punch_requests).where(schema.punch_requests.c.id == request_id)
    ).first()
    if row is None:
        raise NotFound(f"punch request {request_id}")
    return dict(row._mapping)


def of_worker(
    conn: Connection, worker_id: str, month: str | None = None
) -> list[dict[str, object]]:
    """A worker's own requests, newest day first (their "My days" page and /me)."""
    r = schema.punch_requests.c
    q = select(schema.punch_requests).where(r.worker_id == worker_id)
    if month:
        first, last = month_range(month)
        q = q.where(r.local_date >= first.isoformat(), r.local_date <= last.isoformat())
    return [dict(x._mapping) for x in conn.execute(q.order_by(r.local_date.desc(), r.id.desc()))]


def queue_select(
    project_id: str, reach: ColumnElement[bool] | None, state: str | None = None
) -> Any:
    """The project's requests with the worker's name and team, for the site's queue: the
    console page pages this same SELECT; ``reach`` is scope.project_workers_filter's clause."""
    r, w, e = schema.punch_requests.c, schema.workers.c, schema.employments.c
    team = (
        select(e.team)
        .where(
            e.project_id == r.project_id,
            e.worker_id == r.worker_id,
            e.start_date <= r.local_date,
            or_(e.end_date.is_(None), e.end_date >= r.local_date),
        )
        .limit(1)
        .scalar_subquery()
    )
    q = (
        select(
            r.id,
            r.worker_id,
            w.name,
            team.label("team"),
            r.local_date,
            r.first_in,
            r.last_out,
            r.reason,
            r.state,
            r.requested_at,
            r.decided_by,
            r.decided_at,
            r.decision_note,
        )
        .join(schema.workers, w.id == r.worker_id)
        .where(r.project_id == project_id)
    )
    if reach is not None:
        q = q.where(reach)
    if state:
        q = q.where(r.state == state)
    return q


def of_project(
    conn: Connection, project_id: str, reach: ColumnElement[bool] | None, state: str | None = None
) -> list[dict[str, object]]:
    """The project's requests in the caller's reach: open first, then newest."""
    r = schema.punch_requests.c
    q = queue_select(project_id, reach, state).order_by((r.state != OPEN), r.id.desc())
    return [dict(x._mapping) for x in conn.execute(q)]


def _claim(
    db: Database, request_id: int, project_id: str, actor: audit.Actor, state: str, note: str | None
) -> dict[str, object]:
    """Move an open request to ``state`` (once: two deciders cannot both win)."""
    t = schema.punch_requests
    with db.begin() as conn:
        current = get(conn, request_id)
        if current["project_id"] != project_id:
            raise NotFound(f"punch request {request_id}")
        if current["state"] != OPEN:
            raise Conflict.of(
                N_("punch request %(request)s is already %(state)s"),
                request=request_id,
                state=current["state"],
            )
        zone = project_zone(conn, project_id)
        _period_open(conn, project_id, date.fromisoformat(str(current["local_date"])))
        done = conn.execute(
            t.update()
            .where(and_(t.c.id == request_id, t.c.state == OPEN))
            .values(
                state=state,
                decided_by=actor.name[:64],
                decided_at=now_iso(zone),
                decision_note=note,
            )
        ).rowcount
        if done != 1:
            raise Conflict.of(
                N_("punch request %(request)s was decided meanwhile"), request=request_id
            )
        audit.record(
            conn,
            actor,
            f"punch_request.{state}",
            target_kind="punch_request",
            target_id=request_id,
            project_id=project_id,
            detail={
                "worker_id": current["worker_id"],
                "day": current["local_date"],
                **({"reason": note} if note else {}),
            },
        )
        return current


def approve(
    db: Database, project_id: str, request_id: int, actor: audit.Actor
) -> dict[str, object]:
    """Approve: the day is corrected to the requested times with the worker's reason."""
    current = _claim(db, request_id, project_id, actor, APPROVED, None)
    first_in = datetime.fromisoformat(str(current["first_in"]))
    last_out = datetime.fromisoformat(str(current["last_out"]))
    with db.engine.connect() as conn:
        zone = project_zone(conn, project_id)
    attendance_days.correct_day(
        db,
        project_id,
        zone,
        str(current["worker_id"]),
        date.fromisoformat(str(current["local_date"])),
        worked_minutes=int((last_out - first_in).total_seconds()) // 60,
        first_in=first_in,
        last_out=last_out,
        reason=f"补卡 #{request_id}: {current['reason']}"[:500],
        by_user=actor.name,
    )
    c = schema.attendance_corrections.c
    with db.begin() as conn:
        correction = conn.execute(
            select(c.id)
            .where(
                c.project_id == project_id,
                c.worker_id == current["worker_id"],
                c.local_date == current["local_date"],
            )
            .order_by(c.id.desc())
            .limit(1)
        ).scalar_one()
        conn.execute(
            schema.punch_requests.update()
            .where(schema.punch_requests.c.id == request_id)
            .values(correction_id=as_int(correction))
        )
        return get(conn, request_id)


def refuse(
    db: Database, project_id: str, request_id: int, actor: audit.Actor, reason: str
) -> dict[str, object]:
    """Refuse with a reason the worker reads on their page."""
    note = reason.strip()
    if len(note) < 3:
        raise FieldInvalid("reason", N_("a refusal needs a reason the worker can read")).marked(
            N_("a refusal needs a reason the worker can read")
        )
    _claim(db, request_id, project_id, actor, REFUSED, note[:500])
    with db.engine.connect() as conn:
        return get(conn, request_id)
