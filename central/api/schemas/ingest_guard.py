"""Held events and dead-letter counts as the API shows them (payloads are never served)."""

from pydantic import BaseModel, Field


class HeldEventPublic(BaseModel):
    event_id: str
    site: str
    device: str
    kind: str
    worker_id: str | None
    reason: str = Field(description="implausible_time | unknown_worker (docs/protocol.md §10)")
    detail: str | None
    received_at: str


class DeadLetterCountPublic(BaseModel):
    site: str = Field(description='the provisioned sender, or "-" for any other')
    device: str
    reason: str
    hour: str = Field(description="UTC hour, YYYY-MM-DDTHH")
    count: int = Field(description="dead letters of that sender, reason and hour, kept or not")
    bytes: int
    first_seen: str
    last_seen: str
    sample_topic: str | None
