"""The gate fleet and per-site dust as JSON: the figures of the console's devices and dust pages.

Each route calls the same service function as its console page (central/reports/fleet.py,
central/reports/site_dust.py) with the caller's projects from central/auth/scope.py, so the
page and the API cannot disagree. Supervisors see their jurisdiction, the admin everything.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser
from central.auth.scope import require_project, require_role, visible_projects
from central.auth.users import Role
from central.clock import utc_us
from central.reports.fleet import GateRow, fleet_select
from central.reports.site_dust import DustSiteRow, SiteDust, site_dust, sites_select
from central.validation import ProjectId

router = APIRouter(prefix="/api/v1/fleet", tags=["fleet"])


@router.get("/gates", response_model=list[GateRow], responses=error_responses(*AUTHENTICATED, 403))
def gates(who: CurrentUser, db: DbDep) -> list[GateRow]:
    """Every gate in the caller's jurisdiction: state, last heartbeat, outbox, clock, config,
    camera, from its last signed status and what it reported applying."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        query = fleet_select(visible_projects(conn, who)).subquery()
        rows = conn.execute(select(query).order_by(query.c.gate))
        return [GateRow.model_validate(dict(r._mapping)) for r in rows]


@router.get(
    "/dust", response_model=list[DustSiteRow], responses=error_responses(*AUTHENTICATED, 403)
)
def dust_sites(who: CurrentUser, db: DbDep) -> list[DustSiteRow]:
    """Sites in the caller's jurisdiction with dust data: newest 15-minute PM2.5/PM10, alarms
    raised in the last 24 h, whether an alarm is raised now, the limit profile."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        query = sites_select(visible_projects(conn, who), utc_us(datetime.now(UTC))).subquery()
        rows = conn.execute(select(query).order_by(query.c.site))
        return [DustSiteRow.model_validate(dict(r._mapping)) for r in rows]


@router.get(
    "/dust/{site}",
    response_model=SiteDust,
    responses=error_responses(*AUTHENTICATED, 403, 404),
)
def dust_site(who: CurrentUser, db: DbDep, site: Annotated[ProjectId, Path()]) -> SiteDust:
    """One site: each limit of its profile against the current value, the last 24 h of
    readings and alarm changes, and the mist cannon if its gate reports one."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        require_project(conn, who, site)  # 404 outside the caller's jurisdiction
        return site_dust(conn, site, utc_us(datetime.now(UTC)))
