"""Compensatory rest (调休): time off given for work on a rest day, instead of the ×2 premium.

Labour Law art. 44(2) pays rest-day work at ≥ 200 % *unless* compensatory rest is arranged.
The employer records which rest day was worked and which day off makes up for it; it counts
only once the worker confirms it, because it takes money off their line. Statutory holidays
cannot be made up with rest (art. 44(3) pays them ×3 in every case), so only rest days are
accepted. A record changes the month's pay only while that month's batch is a draft.
"""

from datetime import date

from sqlalchemy import Connection, select

from central.audit import Actor, record
from central.clock import now_iso
from central.errors import Conflict, InvalidInput, NotFound
from central.payroll.sources import engagement_on
from central.registry.employment import engagements
from central.registry.organisations import work_calendar
from central.storage import Database, schema
from central.storage.lookup import inserted_id
from central.wages.holidays import DayKind


def _month_open(conn: Connection, project_id: str, day: date) -> None:
    b = schema.payroll_batches.c
    state = conn.execute(
        select(b.state).where(b.project_id == project_id, b.month == day.isoformat()[:7])
    ).scalar_one_or_none()
    if state not in (None, "draft"):
        raise Conflict(f"the {day.isoformat()[:7]} batch is {state}: its pay can no longer change")


def record_rest(
    db: Database,
    project_id: str,
    worker_id: str,
    worked_date: date,
    rest_date: date,
    note: str | None,
    actor: Actor,
) -> dict[str, object]:
    """The employer's record; ``proposed`` until the worker confirms."""
    with db.begin() as conn:
        calendar = work_calendar(conn, project_id)
        if calendar.kind(worked_date) is not DayKind.RESTDAY:
            raise InvalidInput(
                f"{worked_date} is a {calendar.kind(worked_date).value}: compensatory rest "
                "replaces the premium of a rest day only (a statutory holiday is paid ×3)"
            )
        if calendar.kind(rest_date) is not DayKind.WORKDAY:
            raise InvalidInput(f"the day off given, {rest_date}, must be a working day")
        periods = engagements(conn, project_id, worked_date, worked_date).get(worker_id, [])
        engagement = engagement_on(periods, worked_date)
        if engagement is None:
            raise NotFound(f"worker {worker_id}")
        _month_open(conn, project_id, worked_date)
        values = {
            "worker_id": worker_id,
            "project_id": project_id,
            "employer_id": engagement.employer_id,
            "worked_date": worked_date.isoformat(),
            "rest_date": rest_date.isoformat(),
            "note": (note or "").strip()[:500] or None,
            "state": "proposed",
            "recorded_by": actor.name,
            "recorded_at": now_iso(),
        }
        t = schema.compensatory_rest.c
        taken = conn.execute(
            select(t.id).where(
                t.worker_id == worker_id,
                t.employer_id == engagement.employer_id,
                t.worked_date == values["worked_date"],
            )
        ).first()
        if taken is not None:
            raise Conflict(
                f"compensatory rest for {worker_id}'s work on {worked_date} is recorded already"
            )
        inserted = conn.execute(schema.compensatory_rest.insert().values(**values))
        new_id = inserted_id(inserted)
        record(
            conn,
            actor,
            "compensatory_rest.recorded",
            target_kind="worker",
            target_id=worker_id,
            project_id=project_id,
            detail={"worked_date": values["worked_date"], "rest_date": values["rest_date"]},
        )
        return {"id": new_id, **values, "confirmed_at": None}


def confirm_rest(db: Database, rest_id: int, worker_id: str, actor: Actor) -> dict[str, object]:
    """The worker agrees; another worker's record does not exist for them (404)."""
    t = schema.compensatory_rest
    with db.begin() as conn:
        row = conn.execute(select(t).where(t.c.id == rest_id)).first()
        if row is None or row.worker_id != worker_id:
            raise NotFound(f"compensatory rest {rest_id}")
        if row.state == "confirmed":
            raise Conflict(f"compensatory rest {rest_id} is confirmed already")
        _month_open(conn, row.project_id, date.fromisoformat(row.worked_date))
        conn.execute(
            t.update().where(t.c.id == rest_id).values(state="confirmed", confirmed_at=now_iso())
        )
        record(
            conn,
            actor,
            "compensatory_rest.confirmed",
            target_kind="worker",
            target_id=worker_id,
            project_id=row.project_id,
            detail={"id": rest_id, "worked_date": row.worked_date},
        )
        return dict(conn.execute(select(t).where(t.c.id == rest_id)).one()._mapping)


def rests(
    conn: Connection, *, worker_id: str | None = None, project_id: str | None = None
) -> list[dict[str, object]]:
    t = schema.compensatory_rest.c
    q = select(schema.compensatory_rest).order_by(t.worked_date, t.id)
    if worker_id is not None:
        q = q.where(t.worker_id == worker_id)
    if project_id is not None:
        q = q.where(t.project_id == project_id)
    return [dict(r._mapping) for r in conn.execute(q)]
