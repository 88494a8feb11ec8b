"""The supervision overview (概览分析) as JSON: the same figures as the console's page.

Both this route and ``/console/overview`` call central/reports/overview.py with the caller's
projects (central/auth/scope.py), so the page and the API cannot disagree.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from fastapi import APIRouter, Request
from sqlalchemy import Connection

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser
from central.auth.scope import require_role, visible_projects
from central.auth.users import Principal, Role
from central.clock import zone
from central.reports.indicators import (
    ArrearsSummary,
    KeyIndicators,
    MonthPaid,
    arrears_summary,
    key_indicators,
    monthly_paid,
)
from central.reports.overview import DailyCount, Overview, daily_on_site, overview
from central.storage import Database

router = APIRouter(prefix="/api/v1/overview", tags=["overview"])

T = TypeVar("T")


def _figures(
    who: Principal,
    request: Request,
    db: Database,
    report: Callable[[Connection, set[str] | None, date], T],
) -> T:
    """One overview report for the caller's projects as of today in the deployment's time
    zone (a site's day, not the server's UTC day); supervisors and the admin only."""
    require_role(who, Role.SUPERVISOR)
    today = datetime.now(zone(request.app.state.service.settings.timezone)).date()
    with db.engine.connect() as conn:
        return report(conn, visible_projects(conn, who), today)


@router.get("", response_model=Overview, responses=error_responses(*AUTHENTICATED, 403))
def get_overview(who: CurrentUser, request: Request, db: DbDep) -> Overview:
    """Registered workers, payroll cards, projects, on site today, gates, wages paid, open
    warnings: for a supervisor their jurisdiction, for the admin everything."""
    return _figures(who, request, db, overview)


@router.get(
    "/daily-on-site",
    response_model=list[DailyCount],
    responses=error_responses(*AUTHENTICATED, 403),
)
def get_daily_on_site(who: CurrentUser, request: Request, db: DbDep) -> list[DailyCount]:
    """Distinct workers on site per day, the last 30 days (the overview's chart)."""
    return _figures(who, request, db, daily_on_site)


@router.get(
    "/indicators",
    response_model=KeyIndicators,
    responses=error_responses(*AUTHENTICATED, 403),
)
def get_indicators(who: CurrentUser, request: Request, db: DbDep) -> KeyIndicators:
    """The five key indicators (numerator, denominator, rate) per project, county, city and
    for the whole jurisdiction: the overview's rankings."""
    return _figures(who, request, db, key_indicators)


@router.get(
    "/monthly-paid",
    response_model=list[MonthPaid],
    responses=error_responses(*AUTHENTICATED, 403),
)
def get_monthly_paid(who: CurrentUser, request: Request, db: DbDep) -> list[MonthPaid]:
    """Wages paid through the platform per month, the last 12 months (the overview's trend)."""
    return _figures(who, request, db, monthly_paid)


@router.get(
    "/arrears",
    response_model=ArrearsSummary,
    responses=error_responses(*AUTHENTICATED, 403),
)
def get_arrears(who: CurrentUser, db: DbDep) -> ArrearsSummary:
    """Open arrears cases: count, amount and workers owed, by city and by project."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        return arrears_summary(conn, visible_projects(conn, who))
