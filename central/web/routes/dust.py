"""Dust pages: the sites of a jurisdiction with dust data, and one site against its limits.

Both come from central/reports/site_dust.py, the functions ``GET /api/v1/fleet/dust`` and
``GET /api/v1/fleet/dust/{site}`` call, over the caller's projects (central/auth/scope.py):
the list on the table component (page, ``.json``, ``.xlsx``), the site page with a 24 h
chart and the same readings as a table beside it, its JSON twin and an export of its
readings and alarms. A site outside the caller's jurisdiction is a 404 like any unknown one.
"""

import io
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Request
from openpyxl import Workbook
from starlette.responses import Response

from central.auth.scope import require_project
from central.auth.users import Principal
from central.clock import utc_us
from central.reports.site_dust import SiteDust, site_dust, sites_select
from central.spreadsheets import xlsx_row
from central.storage import schema
from central.validation import ProjectId
from central.web import i18n, tables
from central.web.i18n import N_
from central.web.routes.lists import TableRows
from central.web.routes.table_views import XLSX, show
from central.web.routing import list_twins, scope, web_router
from central.web.sessions import Supervisor, database
from central.web.tables import Column, Filter, TableSpec
from central.web.templating import render

router = web_router()

ALARM_STATES = (("raised", N_("Alarm raised")), ("clear", N_("No alarm")))
PROFILE_SOURCES = (("reported", N_("Reported by the gate")), ("default", N_("Default profile")))
# The shipped limit profiles' titles (firmware_config/dust_profiles.py, which the gate also
# reads and cannot mark msgids) as msgids, so the site page shows them in the reader's
# language; tests/central/test_web_i18n.py fails when a shipped title is missing here.
PROFILE_TITLES = frozenset(
    {
        N_("National ambient air quality, class II (GB 3095-2012)"),
        N_("Shanghai construction particulate control (DB31/964-2016)"),
        N_("Hebei construction site dust emission (DB13/2934-2019)"),
    }
)

DUST_SITES = TableSpec(
    name="dust",
    columns=(
        Column("site", N_("Project ID"), link="/console/dust/{site}"),
        Column("project", N_("Project name")),
        Column("division_code", N_("Division code")),
        Column("last_reading", N_("Last reading")),
        Column("pm2_5", N_("PM2.5, 15 min (µg/m³)")),
        Column("pm10", N_("PM10, 15 min (µg/m³)")),
        Column("alarms_24h", N_("Alarms in 24 h"), kind="int"),
        Column("alarm", N_("Alarm state"), labels=ALARM_STATES),
        Column("profile", N_("Limit profile")),
        Column("profile_source", N_("Profile source"), labels=PROFILE_SOURCES),
    ),
    default_sort="site",
    filters=(
        Filter("q", N_("Name contains"), schema.projects.c.name, match="contains"),
        Filter("division", N_("Division code"), schema.projects.c.division_code),
    ),
)

#: The site export's sheets: (msgid of each header, the field of a reading or alarm)
READING_SHEET = (
    (N_("Device"), "device"),
    (N_("Window"), "window"),
    (N_("Window start"), "window_start"),
    (N_("Window end"), "window_end"),
    (N_("PM2.5 (µg/m³)"), "pm2_5"),
    (N_("PM10 (µg/m³)"), "pm10"),
    (N_("TSP (µg/m³)"), "tsp"),
)
ALARM_SHEET = (
    (N_("Device"), "device"),
    (N_("Alarm time"), "at"),
    (N_("Alarm state"), "state"),
    (N_("Pollutant"), "pollutant"),
    (N_("Value (µg/m³)"), "value"),
    (N_("Limit (µg/m³)"), "limit"),
    (N_("Window"), "window"),
    (N_("Limit profile"), "profile"),
    (N_("Exceedances today"), "exceedances_today"),
)


def _now_us() -> int:
    return utc_us(datetime.now(UTC))


def _list(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(DUST_SITES, dict(request.query_params))
    with database(request).engine.connect() as conn:
        return show(
            request,
            who,
            conn,
            spec=DUST_SITES,
            state=state,
            base=sites_select(scope(conn, who), _now_us()),
            fmt=fmt,
            title=N_("Dust"),
            name="dust",
            template="dust_sites.html",
            rows_model=TableRows,
        )


list_twins(router, "/dust", _list, Supervisor, name="dust", rows=TableRows)


def _site(request: Request, who: Principal, site: str) -> SiteDust:
    with database(request).engine.connect() as conn:
        require_project(conn, who, site)  # 404 outside the jurisdiction, as for an unknown site
        return site_dust(conn, site, _now_us())


def _chart(dust: SiteDust) -> dict[str, Any]:
    """The chart's data for its ``data-`` attribute: the device with the most readings."""
    counts: dict[str, int] = {}
    for p in dust.readings:
        counts[p.device] = counts.get(p.device, 0) + 1
    device = max(sorted(counts), key=lambda d: counts[d]) if counts else None
    points = [p for p in dust.readings if p.device == device]
    return {
        "device": device,
        "times": [p.window_end[11:16] for p in points],
        "pm2_5": [p.pm2_5 for p in points],
        "pm10": [p.pm10 for p in points],
        "limits": {c.pollutant: c.limit for c in dust.limits if c.pollutant in ("pm2_5", "pm10")},
    }


@router.get("/dust/{site}.json", response_model=SiteDust)
def dust_site_json(
    request: Request, who: Supervisor, site: Annotated[ProjectId, Path()]
) -> SiteDust:
    """The site page's figures: the same object as ``GET /api/v1/fleet/dust/{site}``."""
    return _site(request, who, site)


@router.get("/dust/{site}.xlsx")
def dust_site_xlsx(
    request: Request, who: Supervisor, site: Annotated[ProjectId, Path()]
) -> Response:
    """The site's 24 h readings and alarm changes, one sheet each, headers translated."""
    dust = _site(request, who, site)
    t = i18n.translations(i18n.locale_of(request))
    book = Workbook(write_only=True)
    for title, columns, records in (
        ("readings", READING_SHEET, [p.model_dump() for p in dust.readings]),
        ("alarms", ALARM_SHEET, [a.model_dump() for a in dust.alarms]),
    ):
        sheet = book.create_sheet(title)
        sheet.append(xlsx_row(sheet, [t.gettext(label) for label, _key in columns]))
        for record in records:
            sheet.append(xlsx_row(sheet, [record[key] for _label, key in columns]))
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="dust-{site}.xlsx"'},
    )


@router.get("/dust/{site}")
def dust_site_page(
    request: Request, who: Supervisor, site: Annotated[ProjectId, Path()]
) -> Response:
    dust = _site(request, who, site)
    return render(request, "dust_site.html", who, dust=dust, chart=_chart(dust))
