"""Face consent and enrollment as the API shows them (templates themselves are never served)."""

from pydantic import BaseModel, Field


class ConsentPublic(BaseModel):
    id: int
    worker_id: str
    purpose: str
    method: str
    granted_at: str
    recorded_by: str
    enterprise_id: int | None = Field(
        None, description="the employer it was given to (its sites); none: every employer"
    )


class ConsentWithdrawn(BaseModel):
    worker_id: str
    templates_deleted: int
    removed_from_sites: dict[str, int] = Field(description="site → its new gallery version")


class EnrollmentDone(BaseModel):
    worker_id: str
    templates: int
    sites: dict[str, int] = Field(description="site → its new gallery version")


class FaceDataStats(BaseModel):
    people_with_face_data: int
    templates: int
    active_consents: int
    filing_threshold: int
    filing_required: bool
