"""概览分析: the supervision overview page and its JSON twin.

The figures come from central/reports/overview.py, the function ``GET /api/v1/overview``
calls, over the same projects (central/auth/scope.py), so the page, its twin and the API
agree. Every figure links to the list behind it.
"""

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

from central.reports.overview import DailyCount, Overview, daily_on_site, overview
from central.web.routing import scope, today, web_router
from central.web.sessions import Supervisor, database
from central.web.templating import render

router = web_router()


def _figures(request: Request, who: Supervisor) -> tuple[Overview, list[DailyCount]]:
    day = today(request)
    with database(request).engine.connect() as conn:
        projects = scope(conn, who)
        return overview(conn, projects, day), daily_on_site(conn, projects, day)


@router.get("/overview")
def overview_page(request: Request, who: Supervisor) -> Response:
    figures, daily = _figures(request, who)
    return render(request, "overview.html", who, figures=figures, daily=daily)


class OverviewPage(BaseModel):
    """Everything the overview page shows."""

    overview: Overview
    daily: list[DailyCount]


@router.get("/overview.json", response_model=OverviewPage)
def overview_json(request: Request, who: Supervisor) -> OverviewPage:
    """The page's numbers as JSON: the figures and the chart's 30 days."""
    figures, daily = _figures(request, who)
    return OverviewPage(overview=figures, daily=daily)
