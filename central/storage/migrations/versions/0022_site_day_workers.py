"""Who was counted into ``site_days``: one row per site, local date and worker with a check-in.

Ingest now counts a batch's check-ins into ``site_days`` as increments (only the rows this
table's insert really added) instead of recounting every touched site's whole day after each
batch (central/storage/presence.py). Filled here from the attendance already stored, so the
increments continue the counts ``site_days`` holds.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_day_workers",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("local_date", sa.String(10), primary_key=True),
        sa.Column("worker_id", sa.String(64), primary_key=True),
    )
    op.execute(
        "INSERT INTO site_day_workers (site, local_date, worker_id)"
        " SELECT DISTINCT site, local_date, worker_id FROM attendance"
    )


def downgrade() -> None:
    op.drop_table("site_day_workers")
