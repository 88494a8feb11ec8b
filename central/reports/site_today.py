"""Today at one site (今日现场): who is on site now, arrivals by hour, what each gate turned
away, and gates that are silent or behind. One function for ``GET
/api/v1/projects/{id}/today`` and the enterprise console's page.

- **On site now**: workers whose latest check-in today (the project's local date) is an
  ``in``. A gate pair that only counts entries shows everyone who entered today.
- **Arrivals by hour**: each worker's first ``in`` of the day, counted by its local hour.
- Both are cut to the workers the caller may see on the project
  (the caller's ``scope.project_workers_filter``): a subcontractor counts its own only.
- **Turned away** per gate: faces matching nobody (``face_unknown``), faces recognised but
  failing liveness (``face_refused``), refused QR codes and unknown cards, as counted by the
  gate since its local midnight and reported with its signed status heartbeat
  (``DeviceStatusBody.turned_away``, edge/turned_away.py). Counts only: no image leaves a gate.
- **Silent or behind**: a gate offline, or held silent by the warnings queue, is *silent*;
  one with at least :data:`OUTBOX_BEHIND` events waiting for central is *behind*; one whose
  clock is off by :data:`CLOCK_OFF_MS` or more has a *clock* problem (its punches' times are
  doubtful). The thresholds are here, not in a page.
"""

import json
from collections.abc import Callable, Collection
from datetime import date, datetime, tzinfo
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, and_, func, select

from central.registry import organisations
from central.reports.fleet import fleet_select
from central.storage import schema

OUTBOX_BEHIND = 20  # events waiting on the gate: more than a few minutes' check-ins
CLOCK_OFF_MS = 5_000  # five seconds: enough to misplace a punch at a shift's edge
TURNED_AWAY_KINDS = ("face_unknown", "face_refused", "qr_refused", "card_refused")


class OnSiteWorker(BaseModel):
    worker_id: str
    name: str | None = Field(description="null: a worker id the registry does not know")
    employer: str | None
    since: str = Field(description="their latest check-in (gate local time, with offset)")
    gate: str
    method: str


class HourCount(BaseModel):
    hour: str = Field(description="HH:00 in the project's time zone")
    arrivals: int


class GateToday(BaseModel):
    device: str
    state: str
    status_at: str | None
    silent_since: str | None
    outbox_depth: int | None
    clock_offset_ms: int | None
    silent: bool
    behind: bool
    clock_off: bool
    turned_away: dict[str, int] = Field(
        description="today's counts by kind (face_unknown, face_refused, qr_refused, "
        "card_refused); empty: the gate has not reported any today"
    )
    turned_away_total: int


#: The caller's cut of the project's workers: a WHERE clause on a worker-id column, or None
#: for every worker (``scope.project_workers_filter`` bound to the caller and the project).
WorkerCut = Callable[[ColumnElement[Any]], ColumnElement[bool] | None]


class SiteToday(BaseModel):
    project_id: str
    project: str
    day: date
    on_site: list[OnSiteWorker]
    arrivals_by_hour: list[HourCount]
    gates: list[GateToday]


def on_site_now(conn: Connection, cut: WorkerCut, project_id: str, day: date) -> list[OnSiteWorker]:
    a, w = schema.attendance.c, schema.workers.c
    e, ent = schema.employments.c, schema.enterprises.c
    clause = cut(a.worker_id)
    today = [a.site == project_id, a.local_date == day.isoformat()]
    if clause is not None:
        today.append(clause)
    latest = (
        select(a.worker_id, func.max(a.captured_utc_us).label("last"))
        .where(*today)
        .group_by(a.worker_id)
        .subquery()
    )
    rows = conn.execute(
        select(a.worker_id, a.captured_at, a.device, a.method, a.direction, w.name)
        .join(
            latest,
            and_(a.worker_id == latest.c.worker_id, a.captured_utc_us == latest.c.last),
        )
        .outerjoin(schema.workers, w.id == a.worker_id)
        .where(*today)
        .order_by(a.captured_utc_us, a.worker_id)
    ).all()
    emp_clause = cut(e.worker_id)
    q = (
        select(e.worker_id, ent.name)
        .join(schema.enterprises, ent.id == e.employer_id)
        .where(e.project_id == project_id)
    )
    if emp_clause is not None:
        q = q.where(emp_clause)
    employers = {r.worker_id: r.name for r in conn.execute(q)}
    seen: set[str] = set()
    out: list[OnSiteWorker] = []
    for r in rows:
        if r.worker_id in seen:
            continue
        seen.add(r.worker_id)
        if r.direction != "in":
            continue
        out.append(
            OnSiteWorker(
                worker_id=r.worker_id,
                name=r.name,
                employer=employers.get(r.worker_id),
                since=r.captured_at,
                gate=r.device,
                method=r.method,
            )
        )
    return out


def arrivals_by_hour(
    conn: Connection, cut: WorkerCut, project_id: str, day: date, zone: tzinfo
) -> list[HourCount]:
    """24 hours, zeros kept: each worker's first ``in`` of the day by its local hour
    (``zone``: the project's, which the caller already read to know its ``day``)."""
    a = schema.attendance.c
    clause = cut(a.worker_id)
    q = select(a.worker_id, func.min(a.captured_utc_us)).where(
        a.site == project_id, a.local_date == day.isoformat(), a.direction == "in"
    )
    if clause is not None:
        q = q.where(clause)
    counts = [0] * 24
    for _worker, first_us in conn.execute(q.group_by(a.worker_id)):
        local = datetime.fromtimestamp(first_us / 1_000_000, zone)
        counts[local.hour] += 1
    return [HourCount(hour=f"{h:02d}:00", arrivals=n) for h, n in enumerate(counts)]


def _turned_away(status: str | None, day: date) -> dict[str, int]:
    """Today's counts from the gate's last signed status; {} when it reported none today."""
    if not status:
        return {}
    body = json.loads(status)
    if body.get("turned_away_day") != day.isoformat():
        return {}
    counts = body.get("turned_away") or {}
    return {k: int(counts[k]) for k in TURNED_AWAY_KINDS if isinstance(counts.get(k), int)}


def gates_today(conn: Connection, project_id: str, day: date) -> list[GateToday]:
    d = schema.devices.c
    statuses = dict(conn.execute(select(d.device, d.status).where(d.site == project_id)).all())
    fleet = fleet_select([project_id]).subquery()
    out = []
    for r in conn.execute(select(fleet).order_by(fleet.c.device)):
        counts = _turned_away(statuses.get(r.device), day)
        out.append(
            GateToday(
                device=r.device,
                state=r.state,
                status_at=r.status_at,
                silent_since=r.silent_since,
                outbox_depth=r.outbox_depth,
                clock_offset_ms=r.clock_offset_ms,
                silent=r.state != "online" or r.silent_since is not None,
                behind=(r.outbox_depth or 0) >= OUTBOX_BEHIND,
                clock_off=abs(r.clock_offset_ms or 0) >= CLOCK_OFF_MS,
                turned_away=counts,
                turned_away_total=sum(counts.values()),
            )
        )
    return out


def site_today(conn: Connection, cut: WorkerCut, project_id: str, now: datetime) -> SiteToday:
    """Today at the project (the caller has checked it may see the project; ``cut``: the
    workers it may see there)."""
    found = organisations.project(conn, project_id)
    zone = organisations.project_zone(conn, project_id)
    day = now.astimezone(zone).date()
    return SiteToday(
        project_id=project_id,
        project=str(found["name"]),
        day=day,
        on_site=on_site_now(conn, cut, project_id, day),
        arrivals_by_hour=arrivals_by_hour(conn, cut, project_id, day, zone),
        gates=gates_today(conn, project_id, day),
    )


def flagged(gates: Collection[GateToday]) -> list[GateToday]:
    """The gates that need a look: silent, behind or with a clock problem."""
    return [g for g in gates if g.silent or g.behind or g.clock_off]
