"""The worker's Today page: checked in or not, at which gate and when, and the check-in QR code.

The facts come from ``central.attendance.today.worker_today``, the service behind
``GET /api/v1/me/today``. The QR code is the signed check-in token of
``GET /api/v1/me/checkin-qr`` (wireproto/qr.py, for workers without face enrollment) drawn as
an SVG image by segno; ``static/worker-today.js`` fetches a fresh image before the token
expires, so the code on screen always scans.
"""

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from central.attendance.today import current_projects, worker_today
from central.auth.deps import get_sealer
from central.errors import NotFound
from central.validation import ProjectId
from central.web.i18n import N_
from central.web.qr_images import svg
from central.web.routing import WORKER_PREFIX, today, web_router
from central.web.sessions import WorkerUser, database
from central.web.templating import SECURITY_HEADERS
from central.web.worker_layout import render_worker
from wireproto.qr import DEFAULT_TTL_S, issue_token

router = web_router(WORKER_PREFIX)

#: The page asks for a new code this many seconds before the shown one expires.
RENEW_MARGIN_S = 30


DIRECTIONS = {"in": N_("In"), "out": N_("Out")}
METHODS = {"face": N_("Face"), "qr": N_("QR code"), "card": N_("Card")}


@router.get("/today")
def today_page(
    request: Request,
    who: WorkerUser,
    project: Annotated[ProjectId | None, Query()] = None,
) -> Response:
    """Checked in or not, and the QR code for ``project`` (default: the first current one;
    one the worker is not on falls back to it too)."""
    assert who.worker_id is not None  # WorkerUser guarantees it
    with database(request).engine.connect() as conn:
        facts = worker_today(conn, who.worker_id, today(request))
    projects: list[dict[str, object]] = facts["projects"]  # type: ignore[assignment]  # the service's dict
    chosen = next((p for p in projects if p["id"] == project), projects[0] if projects else None)
    return render_worker(
        request,
        "worker_today.html",
        who,
        facts=facts,
        directions=DIRECTIONS,
        methods=METHODS,
        chosen=chosen["id"] if chosen else None,
        chosen_name=chosen["name"] if chosen else None,
        ttl_s=DEFAULT_TTL_S,
        renew_after_s=DEFAULT_TTL_S - RENEW_MARGIN_S,
        activated=bool(request.query_params.get("activated")),
    )


@router.get("/today/checkin-qr.svg")
def checkin_qr(
    request: Request,
    who: WorkerUser,
    project: Annotated[ProjectId, Query()],
) -> Response:
    """A fresh signed check-in token for one of the worker's current projects, as an SVG
    QR code (404 for any other project: nothing said about it)."""
    assert who.worker_id is not None
    with database(request).engine.connect() as conn:
        mine = {str(p["id"]) for p in current_projects(conn, who.worker_id, today(request))}
    if project not in mine:
        raise NotFound(f"project {project}")
    token = issue_token(get_sealer(request).qr_signing_key(), project, who.worker_id)
    return Response(
        svg(token),
        media_type="image/svg+xml",
        headers={**SECURITY_HEADERS, "X-Token-Expires-In": str(DEFAULT_TTL_S)},
    )
