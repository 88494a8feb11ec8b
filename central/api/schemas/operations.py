"""Health, devices and dead letters as the API shows them."""

from typing import Any

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = Field(description="ok | unhealthy (then the status code is 503)")
    database: str
    broker: str
    queue: str | None = Field(None, description="ingest queue depth / capacity")


class DevicePublic(BaseModel):
    site: str
    device: str
    created_at: str
    status: dict[str, Any] | None = Field(description="the gate's last signed status body")
    status_at: str | None


class DeadLetterPublic(BaseModel):
    id: int
    received_at: str
    topic: str
    reason: str
    detail: str | None
    payload_size: int
