"""Wages: real-name registry, consent and templates, attendance days, payroll, warnings, users.

The tables are written out here as they were at this revision (a migration is a historical
record: later changes to central/storage/schema.py come in later revisions).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contractor_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("pay_due_day", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "project_calendar",
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_number_sealed", sa.LargeBinary, nullable=False),
        sa.Column("id_number_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("id_number_masked", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("card_sealed", sa.LargeBinary, nullable=True),
        sa.Column("card_hash", sa.String(64), nullable=True),
        sa.Column("card_masked", sa.String(32), nullable=True),
        sa.Column("bank", sa.String(100), nullable=True),
        sa.Column("card_valid", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "employments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("employer_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("team", sa.String(100), nullable=True),
        sa.Column("trade", sa.String(100), nullable=True),
        sa.Column("start_date", sa.String(10), nullable=False),
        sa.Column("end_date", sa.String(10), nullable=True),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_employments_project_worker", "employments", ["project_id", "worker_id"])
    op.create_index("ix_employments_worker", "employments", ["worker_id"])
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("employer_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("signed_on", sa.String(10), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_contracts_worker", "contracts", ["worker_id"])
    op.create_table(
        "trainings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=True),
        sa.Column("course", sa.String(200), nullable=False),
        sa.Column("completed_on", sa.String(10), nullable=False),
        sa.Column("valid_until", sa.String(10), nullable=True),
    )
    op.create_index("ix_trainings_worker", "trainings", ["worker_id"])
    op.create_table(
        "face_consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("granted_at", sa.String(40), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("withdrawn_at", sa.String(40), nullable=True),
        sa.Column("withdrawn_by", sa.String(64), nullable=True),
    )
    op.create_index("ix_face_consents_worker", "face_consents", ["worker_id"])
    op.create_table(
        "face_templates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("photo_sealed", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_face_templates_worker", "face_templates", ["worker_id"])
    op.create_table(
        "attendance_days",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("worker_id", sa.String(64), primary_key=True),
        sa.Column("local_date", sa.String(10), primary_key=True),
        sa.Column("first_in", sa.String(40), nullable=True),
        sa.Column("last_out", sa.String(40), nullable=True),
        sa.Column("worked_minutes", sa.Integer, nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("flags", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("computed_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_attendance_days_worker", "attendance_days", ["worker_id", "local_date"])
    op.create_table(
        "attendance_corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("worker_id", sa.String(64), nullable=False),
        sa.Column("local_date", sa.String(10), nullable=False),
        sa.Column("before", sa.Text, nullable=False),
        sa.Column("after", sa.Text, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("by_user", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_index(
        "ix_attendance_corrections_day",
        "attendance_corrections",
        ["project_id", "worker_id", "local_date"],
    )
    op.create_table(
        "wage_adjustments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("by_user", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_index("ix_wage_adjustments_month", "wage_adjustments", ["project_id", "month"])
    op.create_table(
        "payroll_batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("due_date", sa.String(10), nullable=False),
        sa.Column("gross_fen", sa.BigInteger, nullable=False),
        sa.Column("net_fen", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_at", sa.String(40), nullable=True),
        sa.Column("submitted_by", sa.String(64), nullable=True),
        sa.Column("submitted_at", sa.String(40), nullable=True),
        sa.Column("settled_at", sa.String(40), nullable=True),
    )
    op.create_index(
        "ux_payroll_batches_project_month", "payroll_batches", ["project_id", "month"], unique=True
    )
    op.create_table(
        "payroll_lines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("payroll_batches.id"), nullable=False),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("employer_id", sa.Integer, nullable=False),
        sa.Column("half_days", sa.Integer, nullable=False),
        sa.Column("worked_minutes", sa.Integer, nullable=False),
        sa.Column("ot_workday_minutes", sa.Integer, nullable=False),
        sa.Column("ot_restday_minutes", sa.Integer, nullable=False),
        sa.Column("ot_holiday_minutes", sa.Integer, nullable=False),
        sa.Column("gross_fen", sa.BigInteger, nullable=False),
        sa.Column("deductions_fen", sa.BigInteger, nullable=False),
        sa.Column("net_fen", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("paid_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("bank_ref", sa.String(100), nullable=True),
        sa.Column("bank_message", sa.String(200), nullable=True),
        sa.Column("paid_at", sa.String(40), nullable=True),
        sa.Column("confirmation", sa.String(16), nullable=False),
        sa.Column("confirmation_at", sa.String(40), nullable=True),
        sa.Column("confirmation_note", sa.String(500), nullable=True),
    )
    op.create_index("ix_payroll_lines_worker", "payroll_lines", ["worker_id"])
    op.create_index(
        "ux_payroll_lines_batch_worker", "payroll_lines", ["batch_id", "worker_id"], unique=True
    )
    op.create_table(
        "payroll_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.Integer, nullable=False),
        sa.Column("line_id", sa.Integer, nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("by_user", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
    )
    op.create_index("ix_payroll_log_batch", "payroll_log", ["batch_id"])
    op.create_table(
        "period_closings",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("closed_by", sa.String(64), nullable=False),
        sa.Column("closed_at", sa.String(40), nullable=False),
        sa.Column("closed_at_utc_us", sa.BigInteger, nullable=False),
        sa.Column("reopened_at", sa.String(40), nullable=True),
        sa.Column("reopen_reason", sa.String(500), nullable=True),
    )
    op.create_table(
        "wage_warnings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("handled_by", sa.String(64), nullable=True),
        sa.Column("handled_at", sa.String(40), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_wage_warnings_project_state", "wage_warnings", ["project_id", "state"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("enterprise_id", sa.Integer, nullable=True),
        sa.Column("project_id", sa.String(64), nullable=True),
        sa.Column("worker_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("expires_utc_us", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "api_tokens",
        "users",
        "wage_warnings",
        "period_closings",
        "payroll_log",
        "payroll_lines",
        "payroll_batches",
        "wage_adjustments",
        "attendance_corrections",
        "attendance_days",
        "face_templates",
        "face_consents",
        "trainings",
        "contracts",
        "employments",
        "workers",
        "project_calendar",
        "projects",
        "enterprises",
    ):
        op.drop_table(table)
