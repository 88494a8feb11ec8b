"""Hostile input: reversible wage adjustments.

A wrong adjustment (a typo, or one entered by someone who should not have) is reversed with
who, when and why, rather than deleted; payroll compute leaves reversed rows out.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wage_adjustments") as batch:
        batch.add_column(sa.Column("reversed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("reversed_at", sa.String(40), nullable=True))
        batch.add_column(sa.Column("reversal_reason", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wage_adjustments") as batch:
        batch.drop_column("reversal_reason")
        batch.drop_column("reversed_at")
        batch.drop_column("reversed_by")
