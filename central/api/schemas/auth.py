"""The caller's own account as the API shows it."""

from pydantic import BaseModel, Field


class WhoAmI(BaseModel):
    username: str
    role: str
    enterprise_id: int | None
    project_id: str | None
    worker_id: str | None
    division_code: str | None = Field(None, description="a supervisor's jurisdiction")
