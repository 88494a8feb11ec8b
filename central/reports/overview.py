"""The supervision overview (概览分析): the jurisdiction's headline figures, computed once.

The console's overview page and ``GET /api/v1/overview`` both call :func:`overview`, so the
page and the API cannot disagree. Every figure is cut to ``projects``: the project ids the
caller may read (central/auth/scope.py ``visible_projects``), or None for every project (the
admin). The caller decides the scope; this module only counts within it.

Definitions (each one a plain count a test can repeat in SQL):

- **registered workers**: distinct workers with an employment on a project in scope (the
  admin: every registered worker);
- **payroll cards**: those workers with a payroll card on record that the bank has not
  refused (``card_hash`` set, ``card_valid`` = 1); both read from the employment spans
  (central/registry/staff_spans.py), like the active workers below;
- **projects**: projects in scope, and how many are under construction;
- **on site today**: distinct workers with a check-in on a project in scope dated ``today``
  (the caller passes the date in the deployment's zone, settings.timezone; a check-in's date
  is the site's own); **active workers**: distinct workers with an employment in scope
  running on ``today``; the attendance rate is the first over the second;
- **gates**: devices of projects in scope whose last signed status says ``online``; every
  other gate (offline, or never heard from) is offline;
- **wages paid**: ``paid_fen`` of payroll lines on projects in scope, in total and for lines
  paid in ``today``'s month, with the distinct workers paid (read from the payment summaries,
  central/payroll/paid_summaries.py);
- **open warnings**: wage warnings in scope still ``open``.
"""

from collections.abc import Collection
from datetime import date, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import Connection, case, func, select

from central.registry import staff_spans
from central.storage import schema
from central.storage.project_scope import in_scope

__all__ = ["DailyCount", "Overview", "daily_on_site", "overview"]


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


def overview(conn: Connection, projects: Collection[str] | None, today: date) -> Overview:
    """The figures of :class:`Overview` for ``projects`` (None: all) as of ``today``."""
    p = schema.projects.c
    day = today.isoformat()
    registered, cards, active = _people(conn, projects, day)
    n_projects, building = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((p.status == "under_construction", 1), else_=0)), 0),
        ).where(in_scope(p.id, projects))
    ).one()
    a = schema.attendance.c
    on_site = conn.execute(
        select(func.count(func.distinct(a.worker_id))).where(
            a.local_date == day, in_scope(a.site, projects)
        )
    ).scalar_one()
    online, offline = _gates(conn, projects)
    paid_total, paid_month, workers_total, workers_month = _paid(conn, projects, day[:7])
    ww = schema.wage_warnings.c
    warnings = conn.execute(
        select(func.count()).where(ww.state == "open", in_scope(ww.project_id, projects))
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


def _people(conn: Connection, projects: Collection[str] | None, day: str) -> tuple[int, int, int]:
    """(registered workers, of them with a valid payroll card, workers employed on ``day``).

    Read from ``staff_spans`` (central/registry/staff_spans.py: each project's workers with
    their card state, kept with the employments and cards). A worker whose only span is in
    scope is one row: counted as rows, without grouping. The others (on several projects, or
    back after a gap) are grouped by worker, so each counts once however many of their
    projects are in scope. The admin's registered workers are every worker on record.
    """
    ss = schema.staff_spans.c
    running = case((staff_spans.running(day), 1), else_=0)
    sole = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(ss.card_ok), 0),
            func.coalesce(func.sum(running), 0),
        ).where(ss.sole == 1, in_scope(ss.project_id, projects))
    ).one()
    per_worker = (
        select(func.max(ss.card_ok).label("card_ok"), func.max(running).label("active"))
        .where(ss.sole == 0, in_scope(ss.project_id, projects))
        .group_by(ss.worker_id)
        .subquery()
    )
    shared = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(per_worker.c.card_ok), 0),
            func.coalesce(func.sum(per_worker.c.active), 0),
        ).select_from(per_worker)
    ).one()
    registered, cards, active = (int(a) + int(b) for a, b in zip(sole, shared, strict=True))
    if projects is None:
        registered, cards = (
            int(n)
            for n in conn.execute(
                select(func.count(), func.coalesce(func.sum(staff_spans.card_ok()), 0))
            ).one()
        )
    return registered, cards, active


#: A gate whose last signed status says online. ``devices.status`` is the status body as the
#: ingest writer stores it (pydantic's compact JSON, central/ingest/writer.py), so the text
#: test is exact; the overview's count and the gates list share this one expression.
GATE_ONLINE = schema.devices.c.status.contains('"state":"online"')


def _gates(conn: Connection, projects: Collection[str] | None) -> tuple[int, int]:
    """(online, offline) gates by their last signed status (never heard from: offline)."""
    d = schema.devices.c
    total, online = conn.execute(
        select(func.count(), func.coalesce(func.sum(case((GATE_ONLINE, 1), else_=0)), 0)).where(
            in_scope(d.site, projects)
        )
    ).one()
    return int(online), int(total) - int(online)


def _paid(
    conn: Connection, projects: Collection[str] | None, month: str
) -> tuple[int, int, int, int]:
    """(fen paid in total, fen paid in ``month``, distinct workers paid in total, in ``month``).

    Read from the payment summaries (central/payroll/paid_summaries.py, kept in the transaction
    that records each payment), which equal the sums over the payroll lines.
    """
    pm, pw = schema.paid_months.c, schema.paid_workers.c
    total, this_month = conn.execute(
        select(
            func.coalesce(func.sum(pm.paid_fen), 0),
            func.coalesce(func.sum(case((pm.month == month, pm.paid_fen), else_=0)), 0),
        ).where(in_scope(pm.project_id, projects))
    ).one()
    # a worker paid on one project only is one row; the others are grouped by worker
    sole_workers, sole_month = conn.execute(
        select(
            func.count(), func.coalesce(func.sum(case((pw.last_month == month, 1), else_=0)), 0)
        ).where(pw.sole == 1, in_scope(pw.project_id, projects))
    ).one()
    per_worker = (
        select(func.max(pw.last_month).label("last_month"))
        .where(pw.sole == 0, in_scope(pw.project_id, projects))
        .group_by(pw.worker_id)
        .subquery()
    )
    workers, workers_month = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((per_worker.c.last_month == month, 1), else_=0)), 0),
        ).select_from(per_worker)
    ).one()
    return (
        int(total),
        int(this_month),
        int(sole_workers) + int(workers),
        int(sole_month) + int(workers_month),
    )


def daily_on_site(
    conn: Connection, projects: Collection[str] | None, today: date, days: int = 30
) -> list[DailyCount]:
    """Workers on site per day for the ``days`` days ending ``today`` (zeros kept): each site's
    distinct workers with a check-in that date, summed over the sites in scope (a worker at
    two sites in one day counts at each), read from ``site_days``
    (central/storage/presence.py, recounted from the events as they are stored)."""
    sd = schema.site_days.c
    first = today - timedelta(days=days - 1)
    counted: dict[str, int] = dict(
        conn.execute(
            select(sd.local_date, func.sum(sd.workers))
            .where(
                sd.local_date >= first.isoformat(),
                sd.local_date <= today.isoformat(),
                in_scope(sd.site, projects),
            )
            .group_by(sd.local_date)
        ).all()
    )
    return [
        DailyCount(day=d, workers=int(counted.get(d.isoformat(), 0)))
        for d in (first + timedelta(days=n) for n in range(days))
    ]
