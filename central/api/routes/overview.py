"""The supervision overview (概览分析) as JSON: the same figures as the console's page.

Both this route and ``/console/overview`` call central/reports/overview.py with the caller's
projects (central/auth/scope.py), so the page and the API cannot disagree.
"""

from datetime import datetime

from fastapi import APIRouter, Request

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser
from central.auth.scope import require_role, visible_projects
from central.auth.users import Role
from central.clock import zone
from central.reports.overview import DailyCount, Overview, daily_on_site, overview

router = APIRouter(prefix="/api/v1/overview", tags=["overview"])


@router.get("", response_model=Overview, responses=error_responses(*AUTHENTICATED, 403))
def get_overview(who: CurrentUser, request: Request, db: DbDep) -> Overview:
    """Registered workers, payroll cards, projects, on site today, gates, wages paid, open
    warnings: for a supervisor their jurisdiction, for the admin everything."""
    require_role(who, Role.SUPERVISOR)
    today = datetime.now(zone(request.app.state.service.settings.timezone)).date()
    with db.engine.connect() as conn:
        return overview(conn, visible_projects(conn, who), today)


@router.get(
    "/daily-on-site",
    response_model=list[DailyCount],
    responses=error_responses(*AUTHENTICATED, 403),
)
def get_daily_on_site(who: CurrentUser, request: Request, db: DbDep) -> list[DailyCount]:
    """Distinct workers on site per day, the last 30 days (the overview's chart)."""
    require_role(who, Role.SUPERVISOR)
    today = datetime.now(zone(request.app.state.service.settings.timezone)).date()
    with db.engine.connect() as conn:
        return daily_on_site(conn, visible_projects(conn, who), today)
