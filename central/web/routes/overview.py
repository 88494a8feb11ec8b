"""概览分析: the supervision overview page and its JSON twin.

The figures come from central/reports/overview.py, the function ``GET /api/v1/overview``
calls, over the same projects (central/auth/scope.py), so the page, its twin and the API
agree. Every figure links to the list behind it.
"""

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.responses import Response

from central.errors import InvalidInput
from central.registry import divisions
from central.reports.indicators import (
    INDICATORS,
    Area,
    ArrearsGroup,
    ArrearsSummary,
    KeyIndicators,
    MonthPaid,
    arrears_summary,
    key_indicators,
    monthly_paid,
    ranked,
)
from central.reports.overview import DailyCount, Overview, daily_on_site, overview
from central.wages.money import yuan
from central.web import i18n
from central.web.i18n import N_
from central.web.routing import scope, today, web_router
from central.web.sessions import Supervisor, database
from central.web.templating import render

router = web_router()


#: The five key indicators: (key, msgid, the list behind a project's figure).
INDICATOR_LABELS = {
    "real_name": N_("Real-name entry"),
    "card_issuance": N_("Card issuance"),
    "wage_account": N_("Special wage account"),
    "online_payroll": N_("On-line payroll"),
    "attendance_upload": N_("Attendance upload"),
}
RANK_SIZE = 10


class OverviewPage(BaseModel):
    """Everything the overview page shows."""

    overview: Overview
    daily: list[DailyCount]
    indicators: KeyIndicators
    monthly_paid: list[MonthPaid]
    arrears: ArrearsSummary


def _figures(request: Request, who: Supervisor) -> OverviewPage:
    day = today(request)
    with database(request).engine.connect() as conn:
        projects = scope(conn, who)
        return OverviewPage(
            overview=overview(conn, projects, day),
            daily=daily_on_site(conn, projects, day),
            indicators=key_indicators(conn, projects, day),
            monthly_paid=monthly_paid(conn, projects, day),
            arrears=arrears_summary(conn, projects),
        )


@router.get("/overview")
def overview_page(request: Request, who: Supervisor, rank_by: str = "real_name") -> Response:
    if rank_by not in INDICATORS:
        raise InvalidInput(f"rank_by must be one of {', '.join(INDICATORS)}")
    page = _figures(request, who)
    ind = page.indicators
    rankings = {
        level: ranked(areas, rank_by)[:RANK_SIZE]  # type: ignore[arg-type]  # rank_by is checked against INDICATORS above
        for level, areas in (
            ("city", ind.cities),
            ("county", ind.counties),
            ("project", ind.projects),
        )
    }
    arrears = page.arrears
    if i18n.locale_of(request) == "en":  # the services name divisions in Chinese
        with database(request).engine.connect() as conn:
            rankings = {
                level: _english(conn, areas) if level != "project" else areas
                for level, areas in rankings.items()
            }
            arrears = arrears.model_copy(update={"by_city": _english(conn, arrears.by_city)})
    return render(
        request,
        "overview.html",
        who,
        figures=page.overview,
        daily=page.daily,
        indicators=ind,
        labels=INDICATOR_LABELS,
        rank_by=rank_by,
        rankings=rankings,
        monthly=page.monthly_paid,
        monthly_yuan=[yuan(m.paid_fen) for m in page.monthly_paid],
        arrears=arrears,
    )


Named = TypeVar("Named", Area, ArrearsGroup)


def _english(conn: Connection, rows: list[Named]) -> list[Named]:
    """Division rows with their English names (pinyin, central/registry/division_names.py);
    a code without one keeps what the service gave."""
    english = divisions.names(conn, (r.key for r in rows), english=True)
    return [r.model_copy(update={"name": english.get(r.key, r.name)}) for r in rows]


@router.get("/overview.json", response_model=OverviewPage)
def overview_json(request: Request, who: Supervisor) -> OverviewPage:
    """The page's numbers as JSON: the figures, the charts, the indicators and arrears."""
    return _figures(request, who)
