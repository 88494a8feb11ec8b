"""Every console router is made here, so every one of them has the CSRF check.

A new page module calls :func:`web_router` instead of ``APIRouter`` and lists its router in
central/web/site.py. Console routes are HTML for people, not API: they stay out of the
OpenAPI document (their JSON twins' numbers come from the same service functions as the
documented ``/api/v1`` routes).
"""

from collections.abc import Callable, Mapping
from datetime import date, datetime
from inspect import Parameter, Signature
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from central.auth.scope import visible_projects
from central.auth.users import Principal
from central.clock import zone
from central.web.csrf import csrf_protect

PREFIX = "/console"


#: The worker pages' prefix (mobile layout: central/web/worker_layout.py).
WORKER_PREFIX = "/worker"


def web_router(prefix: str = PREFIX) -> APIRouter:
    """A console router (``/console`` by default, ``WORKER_PREFIX`` for the worker pages)."""
    return APIRouter(prefix=prefix, include_in_schema=False, dependencies=[Depends(csrf_protect)])


Format = Literal["html", "json", "xlsx"]


def list_twins(
    router: APIRouter,
    path: str,
    view: Callable[..., Response],
    who: Any,
    *,
    name: str,
    rows: type[BaseModel],
    params: Mapping[str, Any] | None = None,
) -> None:
    """Register a list's page and its ``.json`` and ``.xlsx`` twins, all three from one view.

    The three must agree (same rows, same scope, same filters), so they are one view called
    as ``view(request=, who=, fmt=, **params)``; only the format differs. ``who`` is the
    caller's dependency (e.g. ``sessions.Supervisor``), ``params`` the path parameters with
    their annotations. The routes are named ``{name}_page``, ``{name}_json`` and
    ``{name}_xlsx``; the twins are registered first so that a page path ending in a
    parameter (``/payroll/{batch_id}``) cannot claim ``/payroll/7.json``.
    """
    extra = dict(params or {})
    signature = Signature(
        [
            Parameter("request", Parameter.KEYWORD_ONLY, annotation=Request),
            Parameter("who", Parameter.KEYWORD_ONLY, annotation=who),
            *(Parameter(k, Parameter.KEYWORD_ONLY, annotation=a) for k, a in extra.items()),
        ],
        return_annotation=Response,
    )
    formats: tuple[tuple[str, Format, type[BaseModel] | None], ...] = (
        (".json", "json", rows),
        (".xlsx", "xlsx", None),
        ("", "html", None),
    )
    for suffix, fmt, model in formats:
        route_name = f"{name}_{'page' if fmt == 'html' else fmt}"
        router.add_api_route(
            path + suffix,
            _endpoint(view, fmt, signature, route_name),
            methods=["GET"],
            name=route_name,
            response_model=model,
        )


def _endpoint(
    view: Callable[..., Response], fmt: Format, signature: Signature, name: str
) -> Callable[..., Response]:
    """One route's function: FastAPI reads its parameters from ``signature``."""

    def endpoint(**kwargs: Any) -> Response:
        return view(fmt=fmt, **kwargs)

    endpoint.__signature__ = signature  # type: ignore[attr-defined]  # functions take one at run time; typeshed does not declare it
    endpoint.__name__ = endpoint.__qualname__ = name
    return endpoint


def today(request: Request) -> date:
    """Today in the deployment's time zone (a site's day, not the server's UTC day)."""
    return datetime.now(zone(request.app.state.service.settings.timezone)).date()


def scope(conn: Connection, who: Principal) -> set[str] | None:
    """The projects the caller may read (None: all), as every API list route decides it."""
    return visible_projects(conn, who)
