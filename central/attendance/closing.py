"""No day closes blind: a period closes only when every gate of the project has reported past it.

A gate that was offline still holds that day's check-ins in its outbox. Closing the day (or
the payroll month) before they arrive would pay people for less than they worked, so the
close is refused, naming the silent gates. A gate has *reported past* a moment when either

* its stored events are contiguous from its first sequence number and the newest was created
  after that moment (events leave the gate's outbox in sequence order and only on our ack),
* or its last signed status was sent after that moment with an empty outbox.

Late events that still arrive for a closed period reopen it (:func:`reopen_for_changes`),
recorded with the reason, so the payroll sees them before approval and never silently after.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from central.attendance import days as attendance_days
from central.attendance.periods import month_of, month_range
from central.clock import now_iso, utc_us
from central.errors import N_, Conflict, InvalidInput, fill
from central.registry.organisations import project_gates, project_zone
from central.storage import Database, days_pending, schema


class ClosingRefused(Conflict):
    """A gate of the project has not reported past the end of the period."""

    def __init__(self, period: str, silent: dict[str, str | None]) -> None:
        self.silent = silent
        self.extra = {"silent_gates": silent}  # added to the error body (central/api/errors.py)
        names = ", ".join(f"{g} (last heard {t or 'never'})" for g, t in sorted(silent.items()))
        msgid = N_("cannot close %(period)s: silent gates: %(gates)s")
        super().__init__(fill(msgid, {"period": period, "gates": names}))
        self.marked(msgid, period=period, gates=names)


@dataclass(frozen=True, slots=True)
class Period:
    kind: str  # day | month
    key: str  # YYYY-MM-DD | YYYY-MM
    first: date
    last: date

    @classmethod
    def parse(cls, kind: str, key: str) -> "Period":
        if kind == "month":
            first, last = month_range(key)
            return cls(kind, key, first, last)
        if kind == "day":
            try:
                day = date.fromisoformat(key)
            except ValueError:
                raise InvalidInput.of(
                    N_("day must look like 2025-06-30, got %(key)s"), key=repr(key)
                ) from None
            return cls(kind, key, day, day)
        raise InvalidInput.of(N_("period kind must be day or month, not %(kind)s"), kind=repr(kind))

    def end(self, zone: ZoneInfo) -> datetime:
        """The local midnight after the period: what every gate must have reported past."""
        return datetime.combine(self.last + timedelta(days=1), time(), zone)


def gate_horizon(conn: Connection, site: str, device: str) -> datetime | None:
    """How far this gate is known to have delivered everything (None: never heard)."""
    e = schema.events.c
    seen: list[datetime] = []
    stats = conn.execute(
        select(func.min(e.seq), func.max(e.seq), func.count()).where(
            e.site == site, e.device == device
        )
    ).one()
    low, high, count = stats
    if count and high - low + 1 == count:
        created = conn.execute(
            select(e.created_at).where(e.site == site, e.device == device, e.seq == high)
        ).scalar_one()
        seen.append(datetime.fromisoformat(created))
    d = schema.devices.c
    status = conn.execute(
        select(d.status).where(d.site == site, d.device == device)
    ).scalar_one_or_none()
    if status:
        body = json.loads(status)
        if body.get("state") == "online" and body.get("outbox_depth") == 0 and body.get("at"):
            seen.append(datetime.fromisoformat(body["at"]))
    return max(seen) if seen else None


def silent_gates(conn: Connection, project_id: str, end: datetime) -> dict[str, str | None]:
    silent: dict[str, str | None] = {}
    for device in project_gates(conn, project_id):
        horizon = gate_horizon(conn, project_id, device)
        if horizon is None or horizon < end:
            silent[device] = horizon.isoformat() if horizon else None
    return silent


def close(db: Database, project_id: str, kind: str, key: str, by_user: str) -> dict[str, object]:
    """Close a day or month, or raise :class:`ClosingRefused` naming the silent gates."""
    period = Period.parse(kind, key)
    with db.engine.connect() as conn:
        zone = project_zone(conn, project_id)
        marks = None
        if kind == "month":
            marks = days_pending.stale_marks(conn, project_id, key, period.first, period.last)
    # The days are brought up to date first, so a later change is a real change (a late
    # event, a correction) and reopens the period, not the first computation of it. A month
    # refreshed whole with no writer's mark since (central/storage/days_pending.py) is current.
    if marks != []:
        attendance_days.refresh(db, project_id, zone, period.first, period.last)
    with db.begin() as conn:
        if not project_gates(conn, project_id):
            raise Conflict.of(
                N_("project %(project)s has no gates: nothing vouches for its days"),
                project=project_id,
            )
        silent = silent_gates(conn, project_id, period.end(zone))
        if silent:
            raise ClosingRefused(f"{kind} {key}", silent)
        t = schema.period_closings
        conn.execute(
            t.delete().where(t.c.project_id == project_id, t.c.kind == kind, t.c.period == key)
        )
        row = {
            "project_id": project_id,
            "kind": kind,
            "period": key,
            "state": "closed",
            "closed_by": by_user,
            "closed_at": now_iso(zone),
            "closed_at_utc_us": utc_us(datetime.now(zone)),
        }
        conn.execute(t.insert().values(**row))
    return row


def is_closed(conn: Connection, project_id: str, kind: str, key: str) -> bool:
    t = schema.period_closings.c
    state = conn.execute(
        select(t.state).where(t.project_id == project_id, t.kind == kind, t.period == key)
    ).scalar_one_or_none()
    return state == "closed"


def reopen_for_changes(
    db: Database, project_id: str, changed: list[tuple[str, str]], reason: str
) -> list[str]:
    """Reopen every closed day and month that a recomputation changed; return what reopened."""
    if not changed:
        return []
    days = sorted({d for _w, d in changed})
    months = sorted({month_of(date.fromisoformat(d)) for d in days})
    t = schema.period_closings
    reopened: list[str] = []
    with db.begin() as conn:
        zone = project_zone(conn, project_id)
        for kind, keys in (("day", days), ("month", months)):
            for key in keys:
                done = conn.execute(
                    t.update()
                    .where(
                        t.c.project_id == project_id,
                        t.c.kind == kind,
                        t.c.period == key,
                        t.c.state == "closed",
                    )
                    .values(state="reopened", reopened_at=now_iso(zone), reopen_reason=reason)
                ).rowcount
                if done:
                    reopened.append(f"{kind} {key}")
    return reopened
