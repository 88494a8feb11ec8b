"""Which attendance days may be stale: ``days_pending`` and ``days_current``.

Computing or approving a payroll batch refreshed the month's days from all its events first,
to catch anything ingest had not refreshed; for a project of 5,000 workers that re-derivation
was a third of the whole payroll's time, and almost always changed nothing. Ingest now marks
the (site, date) pairs of each stored batch in the same transaction and clears them after its
refresh (central/attendance/staleness.py), so a month needs a whole refresh only when a mark
survives or it was never refreshed whole. Both tables start empty: every month is refreshed
whole once more, as before.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "days_pending",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("local_date", sa.String(10), nullable=False),
    )
    op.create_index("ix_days_pending_site_date", "days_pending", ["site", "local_date"])
    op.create_index("ix_days_pending_token", "days_pending", ["token"])
    op.create_table(
        "days_current",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("refreshed_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("days_current")
    op.drop_index("ix_days_pending_token", table_name="days_pending")
    op.drop_index("ix_days_pending_site_date", table_name="days_pending")
    op.drop_table("days_pending")
