"""Payroll batches, wage sheets, adjustments, closings and wage lines as the API shows them.

Money is integer fen throughout.
"""

from pydantic import BaseModel, Field, RootModel


class BatchPublic(BaseModel):
    id: int
    project_id: str
    month: str
    state: str = Field(description="draft | approved | submitted | partially_paid | paid")
    due_date: str
    gross_fen: int
    net_fen: int
    created_by: str
    created_at: str
    approved_by: str | None
    approved_at: str | None
    submitted_by: str | None
    submitted_at: str | None
    settled_at: str | None


class LineSplit(BaseModel):
    """What a wage line pays for: pay kind and rate, attended days, the worked minutes split
    by kind with the money of each (the parts add up to the attendance money), additions."""

    pay_kind: str | None = Field(description="daily | hourly (of the last paid day)")
    rate_fen: int | None = Field(description="per day or per hour")
    attended_days: int = Field(description="dates with paid minutes (a count of days)")
    worked_minutes: int = Field(description="= plain + extended + rest-day + holiday minutes")
    plain_minutes: int
    ot_workday_minutes: int = Field(description="extended time beyond 8 h a day, ×1.5")
    ot_restday_minutes: int = Field(description="worked on rest days, ×2")
    ot_holiday_minutes: int = Field(description="worked on statutory holidays, ×3")
    compensated_minutes: int = Field(
        description="rest-day minutes paid as workday minutes: compensatory rest was given"
    )
    plain_fen: int
    extended_fen: int
    restday_fen: int
    holiday_fen: int
    additions_fen: int = Field(description="piece-rate additions")


class WageSheetLine(LineSplit):
    """A line of the wage sheet with the worker's name and masked numbers."""

    id: int
    worker_id: str
    name: str
    id_number_masked: str
    card_masked: str | None
    employer_id: int
    employer_name: str | None
    gross_fen: int
    deductions_fen: int
    net_fen: int
    state: str = Field(description="pending | held | paid | failed")
    paid_fen: int
    confirmation: str = Field(description="none | confirmed | disputed")
    confirmation_at: str | None
    confirmation_note: str | None


class BatchWithLines(BatchPublic):
    lines: list[WageSheetLine]


class PayrollLogEntry(BaseModel):
    id: int
    batch_id: int
    line_id: int | None
    action: str
    by_user: str
    at: str
    note: str | None


class WageSheet(BaseModel):
    batch: BatchPublic
    lines: list[WageSheetLine]
    log: list[PayrollLogEntry]


class RetryResult(BaseModel):
    lines_to_resend: int


class AdjustmentPublic(BaseModel):
    id: int
    project_id: str
    worker_id: str
    month: str
    kind: str = Field(description="piece_rate | deduction")
    amount_fen: int
    reason: str
    by_user: str
    at: str
    reversed_by: str | None = Field(None, description="who reversed it; null: in force")
    reversed_at: str | None = None
    reversal_reason: str | None = None


class ClosingPublic(BaseModel):
    project_id: str
    kind: str = Field(description="day | month")
    period: str = Field(description="YYYY-MM-DD or YYYY-MM")
    state: str = Field(description="closed | reopened")
    closed_by: str
    closed_at: str
    closed_at_utc_us: int
    reopened_at: str | None = None
    reopen_reason: str | None = None


class GateHorizons(RootModel[dict[str, str | None]]):
    """Gate → the instant up to which it delivered every event (null: never heard)."""


class PayrollLinePublic(LineSplit):
    """A stored wage line, as the worker who answers it sees it."""

    id: int
    batch_id: int
    worker_id: str
    employer_id: int
    gross_fen: int
    deductions_fen: int
    net_fen: int
    state: str
    paid_fen: int
    bank_ref: str | None
    bank_message: str | None
    paid_at: str | None
    confirmation: str
    confirmation_at: str | None
    confirmation_note: str | None


class WorkerLine(LineSplit):
    """One of a worker's own wage lines, with its batch's state and due date."""

    id: int
    project_id: str
    month: str
    batch_state: str
    due_date: str
    gross_fen: int
    deductions_fen: int
    net_fen: int
    state: str
    paid_fen: int
    paid_at: str | None
    bank_ref: str | None
    bank_message: str | None
    confirmation: str
    confirmation_at: str | None
    confirmation_note: str | None
