"""Overview data: special wage accounts, the arrears register, paid and on-site summaries.

The tables are written out here as they are at this revision (a migration is a historical
record: later changes to central/storage/schema.py come in later revisions).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_wage_accounts",
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("bank", sa.String(100), nullable=False),
        sa.Column("account_sealed", sa.LargeBinary, nullable=False),
        sa.Column("account_masked", sa.String(32), nullable=False),
        sa.Column("opened_on", sa.String(10), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "arrears_cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("source_ref", sa.String(64), nullable=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("workers", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("resolution", sa.String(500), nullable=True),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", sa.String(40), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_arrears_cases_status", "arrears_cases", ["status", "project_id"])
    op.create_table(
        "paid_months",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("paid_fen", sa.BigInteger, nullable=False),
        sa.Column("lines", sa.Integer, nullable=False),
    )
    op.create_table(
        "paid_workers",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("worker_id", sa.String(64), primary_key=True),
        sa.Column("first_month", sa.String(7), nullable=False),
        sa.Column("last_month", sa.String(7), nullable=False),
    )
    op.create_index("ix_paid_workers_last", "paid_workers", ["last_month", "project_id"])
    op.create_table(
        "site_days",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("local_date", sa.String(10), primary_key=True),
        sa.Column("workers", sa.Integer, nullable=False),
        sa.Column("registered", sa.Integer, nullable=False),
    )
    op.create_index("ix_site_days_date", "site_days", ["local_date", "site"])


def downgrade() -> None:
    op.drop_index("ix_site_days_date", "site_days")
    op.drop_table("site_days")
    op.drop_index("ix_paid_workers_last", "paid_workers")
    op.drop_table("paid_workers")
    op.drop_table("paid_months")
    op.drop_index("ix_arrears_cases_status", "arrears_cases")
    op.drop_table("arrears_cases")
    op.drop_table("project_wage_accounts")
