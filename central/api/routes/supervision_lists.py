"""考勤管理 and 工资发放管理 for supervisors as JSON: the rows of the console's attendance and
wage-payment pages.

Each route runs the service function its page runs (central/reports/attendance_pages.py,
central/reports/wage_payment.py) over the caller's projects (central/auth/scope.py), so the
page, its export and the API cannot disagree. They are for supervisors (their jurisdiction)
and the admin: a project's day totals count every employer's workers, which a subcontractor
may not see. Rows come in the page's default order: newest first.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import Select, func, select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser
from central.auth.scope import require_role, visible_projects
from central.auth.users import Role
from central.clock import zone
from central.reports.attendance_pages import (
    ProjectDay,
    Rows,
    WorkerDay,
    project_days_select,
    with_hours,
    with_silent_gates,
    worker_days_select,
)
from central.reports.wage_payment import Payment, payments_select, with_days_overdue
from central.validation import LocalDate, Month, ProjectId, WorkerIdText

router = APIRouter(
    prefix="/api/v1",
    tags=["supervision"],
    responses=error_responses(*AUTHENTICATED, 403),
)

Limit = Annotated[int, Query(ge=1, le=1000, description="rows in one answer")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Flagged = Annotated[
    bool | None, Query(description="only flagged (true) or clean (false) days; both when absent")
]
PaymentStatus = Literal[
    "draft", "approved", "submitted", "partially_paid", "paid", "failed", "overdue"
]


def _now(request: Request) -> datetime:
    return datetime.now(zone(request.app.state.service.settings.timezone))


def _run(
    conn: Any, query: Select[Any], order: list[str], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    inner = query.subquery()
    total = conn.execute(select(func.count()).select_from(inner)).scalar_one()
    keys = [inner.c[k[1:]].desc() if k.startswith("-") else inner.c[k] for k in order]
    rows = conn.execute(select(inner).order_by(*keys).limit(limit).offset(offset))
    return [dict(r._mapping) for r in rows], int(total)


@router.get("/attendance/project-days", response_model=Rows[ProjectDay])
def project_days(
    request: Request,
    db: DbDep,
    who: CurrentUser,
    project_id: ProjectId | None = None,
    month: Month | None = None,
    day: LocalDate | None = None,
    flagged: Annotated[
        bool | None, Query(description="only days with (true) or without (false) flagged days")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Rows[ProjectDay]:
    """Per project and date: workers on site, hours, flagged days and silent gates."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        query = project_days_select(
            visible_projects(conn, who),
            project_id=project_id,
            month=month,
            day=day.isoformat() if day else None,
            flagged=flagged,
        )
        rows, total = _run(conn, query, ["-local_date", "key"], limit, offset)
        with_hours(rows)
        with_silent_gates(conn, rows, _now(request))
    return Rows[ProjectDay](rows=[ProjectDay.model_validate(r) for r in rows], total=total)


@router.get("/attendance/worker-days", response_model=Rows[WorkerDay])
def worker_days(
    db: DbDep,
    who: CurrentUser,
    project_id: ProjectId | None = None,
    worker_id: WorkerIdText | None = None,
    month: Month | None = None,
    day: LocalDate | None = None,
    flagged: Annotated[
        bool | None, Query(description="only flagged (true) or clean (false) days")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Rows[WorkerDay]:
    """Who was on site: one row per worker and date, with in, out, hours and flags (a
    worker's month: ``project_id``, ``worker_id`` and ``month``)."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        query = worker_days_select(
            visible_projects(conn, who),
            project_id=project_id,
            worker_id=worker_id,
            month=month,
            day=day.isoformat() if day else None,
            flagged=flagged,
        )
        rows, total = _run(conn, query, ["-local_date", "key"], limit, offset)
    with_hours(rows)
    return Rows[WorkerDay](rows=[WorkerDay.model_validate(r) for r in rows], total=total)


@router.get("/wage-payments", response_model=Rows[Payment])
def wage_payments(
    request: Request,
    db: DbDep,
    who: CurrentUser,
    project_id: ProjectId | None = None,
    month: Month | None = None,
    status: PaymentStatus | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Rows[Payment]:
    """Payroll batches by project and month: status (overdue = past its due date and not
    paid), amounts due and paid in fen, days overdue."""
    require_role(who, Role.SUPERVISOR)
    today = _now(request).date()
    with db.engine.connect() as conn:
        query = payments_select(
            visible_projects(conn, who), today, project_id=project_id, month=month, status=status
        )
        rows, total = _run(conn, query, ["-month", "id"], limit, offset)
    with_days_overdue(rows, today)
    return Rows[Payment](rows=[Payment.model_validate(r) for r in rows], total=total)
