"""Attendance days and their corrections as the API shows them."""

from pydantic import BaseModel, Field


class AttendanceDayPublic(BaseModel):
    project_id: str
    worker_id: str
    local_date: str = Field(description="YYYY-MM-DD in the site's time")
    first_in: str | None
    last_out: str | None
    worked_minutes: int
    event_count: int
    flags: str = Field(description="comma-separated (missing_in, missing_out, corrected)")
    status: str = Field(description="complete | missing_punch | corrected")
    intervals: str | None = Field(
        None, description="the worked intervals, JSON [[in, out], …] (each minute's date)"
    )
    computed_at: str


class CorrectionPublic(BaseModel):
    id: int
    project_id: str
    worker_id: str
    local_date: str
    before: str = Field(description="the day before the correction, JSON")
    after: str = Field(description="the corrected values, JSON")
    reason: str
    by_user: str
    at: str
