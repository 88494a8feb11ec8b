"""What an operator needs: health, metrics, devices and their last status, dead letters."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import false, or_, select

from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.metrics_access import check_metrics_access
from central.api.schemas.operations import DeadLetterPublic, DevicePublic, Health
from central.auth.deps import CurrentUser
from central.auth.scope import require_role, visible_projects
from central.auth.users import Role
from central.storage import schema
from central.validation import Code
from wireproto.topics import ROOT

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "database or broker unreachable"}},
)
def healthz(service: ServiceDep, response: Response) -> Health:
    """503 when the database or the broker is unreachable, so an orchestrator restarts us."""
    checks: dict[str, str] = {}
    try:
        service.db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    consumer = service.consumer
    checks["broker"] = "ok" if consumer is not None and consumer.connected.is_set() else "down"
    healthy = checks["database"] == "ok" and checks["broker"] == "ok"
    if not healthy:
        response.status_code = 503
    if service.writer is not None:
        checks["queue"] = f"{service.writer.inbox.qsize()}/{service.writer.inbox.maxsize}"
    return Health(status="ok" if healthy else "unhealthy", **checks)


@router.get("/metrics", include_in_schema=False)
def metrics(service: ServiceDep, request: Request) -> Response:
    """Prometheus text format: ingest counters, batch sizes, lag, queue depth.

    Only for the allowed networks or the metrics token (central/api/metrics_access.py).
    """
    check_metrics_access(request, service.settings)
    body, content_type = service.metrics.render()
    return Response(body, media_type=content_type)


@router.get(
    "/api/v1/devices",
    response_model=list[DevicePublic],
    responses=error_responses(*AUTHENTICATED, 403),
)
def devices(db: DbDep, who: CurrentUser) -> list[DevicePublic]:
    """The caller's projects' gates with their last signed status."""
    require_role(who, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
    with db.engine.connect() as conn:
        visible = visible_projects(conn, who)  # scope: the caller's projects' gates
    return [
        DevicePublic.model_validate(d)
        for d in db.list_devices()
        if visible is None or d["site"] in visible
    ]


@router.get(
    "/api/v1/dead-letters",
    response_model=list[DeadLetterPublic],
    responses=error_responses(*AUTHENTICATED, 403),
)
def dead_letters(
    db: DbDep,
    who: CurrentUser,
    reason: Code | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterPublic]:
    """Messages ingest refused, newest first, with the reason (payloads are not served)."""
    require_role(who, Role.SUPERVISOR)  # operators: the admin, and supervisors (their sites)
    d = schema.dead_letters.c
    q = select(d.id, d.received_at, d.topic, d.reason, d.detail, d.payload_size)
    if reason:
        q = q.where(d.reason == reason)
    with db.engine.connect() as conn:
        sites = visible_projects(conn, who)
        if sites is not None:  # a topic names its site: another jurisdiction's stay unseen
            q = q.where(
                or_(false(), *(d.topic.startswith(f"{ROOT}/{s}/", autoescape=True) for s in sites))
            )
        rows = conn.execute(q.order_by(d.id.desc()).limit(limit))
        return [DeadLetterPublic.model_validate(dict(r._mapping)) for r in rows]
