"""Arrears warnings as the API shows them."""

from typing import Any

from pydantic import BaseModel, Field


class WarningPublic(BaseModel):
    id: int
    kind: str
    severity: str = Field(description="high | medium | low")
    project_id: str | None
    worker_id: str | None = Field(None, description="the worker it is about, if one")
    subject: str = Field(
        description="in English, for older readers; the console renders it from kind and params"
    )
    params: dict[str, Any] | None = Field(
        None,
        description="the subject's parameters (worker, project, month, …) for the kind's "
        "message in any language; null on warnings raised before subjects had parameters",
    )
    evidence: dict[str, Any]
    state: str = Field(description="open | handled")
    note: str | None
    handled_by: str | None
    handled_at: str | None
    created_at: str
    assignee: str | None = Field(None, description="the account handling it now, if any")
    escalated_to: str | None = Field(
        None, description="GB/T 2260 division it was escalated to; null: the project's own"
    )
    updated_at: str | None = Field(None, description="when its history last grew")


class WarningAction(BaseModel):
    """One row of a warning's history: who did what, when, and why."""

    at: str
    actor: str = Field(description="a username, or ``system`` for what central did itself")
    actor_role: str | None
    action: str = Field(
        description="raised | assigned | noted | resolved | reopened | escalated | case_opened "
        "(an arrears case opened from it: detail.case)"
    )
    note: str | None
    detail: dict[str, Any]


class WarningDetail(WarningPublic):
    """A warning with its full history, oldest first."""

    history: list[WarningAction]


class ScanResult(BaseModel):
    new_warnings: int
