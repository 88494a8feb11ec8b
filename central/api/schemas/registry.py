"""Enterprises, projects, workers, employment, contracts and training as the API shows them."""

from datetime import date

from pydantic import BaseModel, Field

from central.wages.holidays import DayKind


class EnterprisePublic(BaseModel):
    id: int
    name: str
    uscc: str = Field(description="unified social credit code")
    kind: str = Field(description="general_contractor | subcontractor")
    created_at: str


class ProjectPublic(BaseModel):
    id: str = Field(description="= the gates' site id")
    name: str
    contractor_id: int
    timezone: str
    pay_due_day: int = Field(description="day of the following month wages are due")
    min_hourly_wage_fen: int | None = Field(
        None, description="the local minimum hourly wage, fen (null: not set)"
    )
    created_at: str
    division_code: str | None = Field(
        None, description="GB/T 2260 division of the site: decides which supervisors see it"
    )
    status: str = Field(
        "under_construction", description="under_construction | suspended | completed"
    )


class ProjectDetail(ProjectPublic):
    gates: list[str] = Field(description="devices provisioned for the project's site")


class CalendarDayPublic(BaseModel):
    project_id: str
    day: date
    kind: DayKind
    note: str | None


class WorkerPublic(BaseModel):
    """A worker with masked numbers; ``id_number``/``card_number`` only when revealed."""

    id: str
    name: str
    id_number_masked: str
    phone: str | None
    card_masked: str | None
    bank: str | None
    card_valid: int = Field(description="0 after a bank refused the card")
    id_number: str | None = Field(None, description="whole, only with reveal=true")
    card_number: str | None = Field(None, description="whole, only with reveal=true")


class EmploymentPublic(BaseModel):
    id: int
    worker_id: str
    project_id: str
    employer_id: int
    team: str | None
    trade: str | None
    start_date: str
    end_date: str | None
    terms: str = Field(description="pay terms as JSON (central.wages.rules.PayTerms)")
    created_at: str


class ContractPublic(BaseModel):
    id: int
    worker_id: str
    employer_id: int
    project_id: str
    status: str = Field(description="signed | terminated")
    signed_on: str
    document_sha256: str
    created_at: str


class TrainingPublic(BaseModel):
    id: int
    worker_id: str
    project_id: str | None
    course: str
    completed_on: str
    valid_until: str | None


class WorkerDetail(WorkerPublic):
    employments: list[EmploymentPublic]
    contracts: list[ContractPublic]
    trainings: list[TrainingPublic]
