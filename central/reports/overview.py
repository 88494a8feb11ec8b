"""The supervision overview (概览分析): the jurisdiction's headline figures, computed once.

The console's overview page and ``GET /api/v1/overview`` both call :func:`overview`, so the
page and the API cannot disagree. Every figure is cut to ``projects``: the project ids the
caller may read (central/auth/scope.py ``visible_projects``), or None for every project (the
admin). The caller decides the scope; this module only counts within it.

Definitions (each one a plain count a test can repeat in SQL):

- **registered workers**: distinct workers with an employment on a project in scope (the
  admin: every registered worker);
- **payroll cards**: those workers with a payroll card on record that the bank has not
  refused (``card_hash`` set, ``card_valid`` = 1);
- **projects**: projects in scope, and how many are under construction;
- **on site today**: distinct workers with a check-in on a project in scope dated ``today``
  (the caller passes the date in the deployment's zone, settings.timezone; a check-in's date
  is the site's own); **active workers**: employments in scope running on ``today``; the attendance
  rate is the first over the second;
- **gates**: devices of projects in scope whose last signed status says ``online``; every
  other gate (offline, or never heard from) is offline;
- **wages paid**: ``paid_fen`` of payroll lines on projects in scope, in total and for lines
  paid in ``today``'s month, with the distinct workers paid;
- **open warnings**: wage warnings in scope still ``open``.
"""

from collections.abc import Collection
from datetime import date, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select, true

from central.storage import schema


class Overview(BaseModel):
    """The headline figures of one caller's jurisdiction (money in integer fen)."""

    today: date
    registered_workers: int
    payroll_cards: int
    projects: int
    projects_under_construction: int
    on_site_today: int
    active_workers: int
    attendance_rate_pct: float | None = Field(
        description="on_site_today / active_workers × 100, one decimal; null without workers"
    )
    gates_online: int
    gates_offline: int
    wages_paid_total_fen: int
    wages_paid_month_fen: int
    workers_paid_total: int
    workers_paid_month: int
    open_warnings: int


class DailyCount(BaseModel):
    day: date
    workers: int


def _in_scope(column: ColumnElement[str], projects: Collection[str] | None) -> ColumnElement[bool]:
    if projects is None:
        return true()
    return column.in_(sorted(projects))


def overview(conn: Connection, projects: Collection[str] | None, today: date) -> Overview:
    """The figures of :class:`Overview` for ``projects`` (None: all) as of ``today``."""
    w, e, p = schema.workers.c, schema.employments.c, schema.projects.c
    if projects is None:
        worker_ids = select(w.id)
    else:
        worker_ids = select(e.worker_id).where(_in_scope(e.project_id, projects)).distinct()
    registered = conn.execute(select(func.count()).select_from(worker_ids.subquery())).scalar_one()
    cards = conn.execute(
        select(func.count()).where(
            w.id.in_(worker_ids), w.card_hash.is_not(None), w.card_valid == 1
        )
    ).scalar_one()
    n_projects, building = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((p.status == "under_construction", 1), else_=0)), 0),
        ).where(_in_scope(p.id, projects))
    ).one()
    a = schema.attendance.c
    on_site = conn.execute(
        select(func.count(func.distinct(a.worker_id))).where(
            a.local_date == today.isoformat(), _in_scope(a.site, projects)
        )
    ).scalar_one()
    day = today.isoformat()
    active = conn.execute(
        select(func.count(func.distinct(e.worker_id))).where(
            _in_scope(e.project_id, projects),
            e.start_date <= day,
            or_(e.end_date.is_(None), e.end_date >= day),
        )
    ).scalar_one()
    online, offline = _gates(conn, projects)
    paid_total, workers_total = _paid(conn, projects, None)
    paid_month, workers_month = _paid(conn, projects, today.isoformat()[:7])
    ww = schema.wage_warnings.c
    warnings = conn.execute(
        select(func.count()).where(ww.state == "open", _in_scope(ww.project_id, projects))
    ).scalar_one()
    return Overview(
        today=today,
        registered_workers=registered,
        payroll_cards=cards,
        projects=n_projects,
        projects_under_construction=int(building),
        on_site_today=on_site,
        active_workers=active,
        attendance_rate_pct=round(100 * on_site / active, 1) if active else None,
        gates_online=online,
        gates_offline=offline,
        wages_paid_total_fen=paid_total,
        wages_paid_month_fen=paid_month,
        workers_paid_total=workers_total,
        workers_paid_month=workers_month,
        open_warnings=warnings,
    )


#: A gate whose last signed status says online. ``devices.status`` is the status body as the
#: ingest writer stores it (pydantic's compact JSON, central/ingest/writer.py), so the text
#: test is exact; the overview's count and the gates list share this one expression.
GATE_ONLINE = schema.devices.c.status.contains('"state":"online"')


def _gates(conn: Connection, projects: Collection[str] | None) -> tuple[int, int]:
    """(online, offline) gates by their last signed status (never heard from: offline)."""
    d = schema.devices.c
    total, online = conn.execute(
        select(func.count(), func.coalesce(func.sum(case((GATE_ONLINE, 1), else_=0)), 0)).where(
            _in_scope(d.site, projects)
        )
    ).one()
    return int(online), int(total) - int(online)


def _paid(conn: Connection, projects: Collection[str] | None, month: str | None) -> tuple[int, int]:
    """(fen paid, distinct workers paid) on lines in scope, optionally paid in ``month``."""
    line, batch = schema.payroll_lines.c, schema.payroll_batches.c
    where = [line.paid_fen > 0, _in_scope(batch.project_id, projects)]
    if month is not None:
        where.append(line.paid_at.startswith(month))
    fen, workers = conn.execute(
        select(func.coalesce(func.sum(line.paid_fen), 0), func.count(func.distinct(line.worker_id)))
        .select_from(schema.payroll_lines.join(schema.payroll_batches, batch.id == line.batch_id))
        .where(and_(*where))
    ).one()
    return int(fen), int(workers)


def daily_on_site(
    conn: Connection, projects: Collection[str] | None, today: date, days: int = 30
) -> list[DailyCount]:
    """Distinct workers on site per day for the ``days`` days ending ``today`` (zeros kept)."""
    a = schema.attendance.c
    first = today - timedelta(days=days - 1)
    counted: dict[str, int] = dict(
        conn.execute(
            select(a.local_date, func.count(func.distinct(a.worker_id)))
            .where(
                a.local_date >= first.isoformat(),
                a.local_date <= today.isoformat(),
                _in_scope(a.site, projects),
            )
            .group_by(a.local_date)
        ).all()
    )
    return [
        DailyCount(day=d, workers=int(counted.get(d.isoformat(), 0)))
        for d in (first + timedelta(days=n) for n in range(days))
    ]
