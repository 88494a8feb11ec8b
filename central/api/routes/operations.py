"""What an operator needs: health, devices and their last status, dead letters."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from central.api.deps import DbDep, ServiceDep
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
    return {"status": "ok" if healthy else "unhealthy", **checks}


@router.get("/api/v1/devices")
def devices(db: DbDep) -> list[dict[str, object]]:
    return db.list_devices()


@router.get("/api/v1/dead-letters")
def dead_letters(
    db: DbDep, reason: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, object]]:
    d = schema.dead_letters.c
    q = select(d.id, d.received_at, d.topic, d.reason, d.detail, d.payload_size)
    if reason:
        q = q.where(d.reason == reason)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(d.id.desc()).limit(limit))]
