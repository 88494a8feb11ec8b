"""Supervision console: handling warnings (assignee, escalation) and their full history.

The table and columns are written out as they are at this revision (a migration is a
historical record: later changes to central/storage/schema.py come in later revisions).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wage_warnings") as batch:
        batch.add_column(sa.Column("assignee", sa.String(64), nullable=True))
        batch.add_column(sa.Column("escalated_to", sa.String(6), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.String(40), nullable=True))
    op.create_table(
        "warning_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("wage_warnings.id"), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_warning_history_warning", "warning_history", ["warning_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_warning_history_warning", "warning_history")
    op.drop_table("warning_history")
    with op.batch_alter_table("wage_warnings") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("escalated_to")
        batch.drop_column("assignee")
