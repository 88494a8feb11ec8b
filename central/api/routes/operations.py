"""What an operator needs: health, metrics, devices and their last status, dead letters."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from central.api.deps import DbDep, ServiceDep
from central.auth.deps import CurrentUser
from central.auth.scope import require_role, visible_projects
from central.auth.users import Role
from central.storage import schema

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(service: ServiceDep, response: Response) -> dict[str, object]:
    """503 when the database or the broker is unreachable, so an orchestrator restarts us."""
    checks: dict[str, object] = {}
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
    return {"status": "ok" if healthy else "unhealthy", **checks}


@router.get("/metrics", include_in_schema=False)
def metrics(service: ServiceDep) -> Response:
    """Prometheus text format: ingest counters, batch sizes, lag, queue depth."""
    body, content_type = service.metrics.render()
    return Response(body, media_type=content_type)


@router.get("/api/v1/devices")
def devices(db: DbDep, who: CurrentUser) -> list[dict[str, object]]:
    require_role(who, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
    with db.engine.connect() as conn:
        visible = visible_projects(conn, who)  # scope: the caller's projects' gates
    return [d for d in db.list_devices() if visible is None or d["site"] in visible]


@router.get("/api/v1/dead-letters")
def dead_letters(
    db: DbDep,
    who: CurrentUser,
    reason: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, object]]:
    require_role(who, Role.SUPERVISOR)  # payloads of any site: operators only
    d = schema.dead_letters.c
    q = select(d.id, d.received_at, d.topic, d.reason, d.detail, d.payload_size)
    if reason:
        q = q.where(d.reason == reason)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(d.id.desc()).limit(limit))]
