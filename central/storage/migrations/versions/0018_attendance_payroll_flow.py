"""Supplementary-punch requests (补卡): a worker's request for a day the gate missed.

The table is written out here as it is at this revision (a migration is a historical record:
later changes to central/storage/schema.py come in later revisions).

Revision ID: 0018
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "punch_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("local_date", sa.String(10), nullable=False),
        sa.Column("first_in", sa.String(40), nullable=False),
        sa.Column("last_out", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("requested_at", sa.String(40), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.String(40), nullable=True),
        sa.Column("decision_note", sa.String(500), nullable=True),
        sa.Column("correction_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_punch_requests_project", "punch_requests", ["project_id", "state"])
    op.create_index("ix_punch_requests_worker", "punch_requests", ["worker_id", "local_date"])


def downgrade() -> None:
    op.drop_index("ix_punch_requests_worker", table_name="punch_requests")
    op.drop_index("ix_punch_requests_project", table_name="punch_requests")
    op.drop_table("punch_requests")
