"""The attendance month grid of a project over HTTP (the enterprise console's attendance page
shows the same :func:`central.reports.attendance_grid.month_grid`)."""

from typing import Annotated

from fastapi import APIRouter, Query

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser
from central.auth.scope import project_worker_ids, require_project
from central.reports.attendance_grid import MonthGrid, month_grid
from central.validation import Month, ProjectId, ShortText

router = APIRouter(
    prefix="/api/v1/projects/{project_id}",
    tags=["attendance days"],
    responses=error_responses(*AUTHENTICATED, 404),
)


@router.get("/attendance-grid", response_model=MonthGrid)
def grid(
    project_id: ProjectId,
    db: DbDep,
    who: CurrentUser,
    month: Annotated[Month, Query()],
    team: Annotated[ShortText | None, Query()] = None,
) -> MonthGrid:
    """Workers × days of the month: minutes and flags per cell, totals per worker and day
    (a subcontractor: its own workers; a worker: their own row)."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        return month_grid(conn, project_id, month, project_worker_ids(conn, who, project_id), team)
