"""The worker's own view: contracts and training, and the check-in QR token."""

from pydantic import BaseModel

from central.api.schemas.registry import ContractPublic, TrainingPublic


class MyContracts(BaseModel):
    contracts: list[ContractPublic]
    trainings: list[TrainingPublic]


class CheckinToken(BaseModel):
    token: str
    site: str
    ttl_s: int


class QrPublicKey(BaseModel):
    public_key: str


class Passage(BaseModel):
    """One passage through a gate today."""

    project_id: str
    project_name: str | None
    gate: str
    direction: str
    method: str
    captured_at: str


class ProjectName(BaseModel):
    id: str
    name: str


class MyToday(BaseModel):
    """Checked in or not (``status``: none, on_site, left), where and when."""

    date: str
    status: str
    first_in: Passage | None
    last: Passage | None
    passages: list[Passage]
    projects: list[ProjectName]
    face_enrolled: bool
