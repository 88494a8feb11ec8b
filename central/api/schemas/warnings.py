"""Arrears warnings as the API shows them."""

from typing import Any

from pydantic import BaseModel, Field


class WarningPublic(BaseModel):
    id: int
    kind: str
    severity: str = Field(description="high | medium | low")
    project_id: str | None
    worker_id: str | None = Field(None, description="the worker it is about, if one")
    subject: str
    evidence: dict[str, Any]
    state: str = Field(description="open | handled")
    note: str | None
    handled_by: str | None
    handled_at: str | None
    created_at: str


class ScanResult(BaseModel):
    new_warnings: int
