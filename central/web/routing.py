"""Every console router is made here, so every one of them has the CSRF check.

A new page module calls :func:`web_router` instead of ``APIRouter`` and lists its router in
central/web/site.py. Console routes are HTML for people, not API: they stay out of the
OpenAPI document (their JSON twins' numbers come from the same service functions as the
documented ``/api/v1`` routes).
"""

from datetime import date, datetime

from fastapi import APIRouter, Depends
from sqlalchemy import Connection
from starlette.requests import Request

from central.auth.scope import visible_projects
from central.auth.users import Principal
from central.clock import zone
from central.web.csrf import csrf_protect

PREFIX = "/console"


def web_router() -> APIRouter:
    return APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(csrf_protect)])


def today(request: Request) -> date:
    """Today in the deployment's time zone (a site's day, not the server's UTC day)."""
    return datetime.now(zone(request.app.state.service.settings.timezone)).date()


def scope(conn: Connection, who: Principal) -> set[str] | None:
    """The projects the caller may read (None: all), as every API list route decides it."""
    return visible_projects(conn, who)
