"""Worker cards registered at central and carried to gates by the gallery sync.

The table is written out here as it is at this revision (a migration is a historical record:
later changes to central/storage/schema.py come in later revisions).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_cards",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("number_sealed", sa.LargeBinary, nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("masked", sa.String(64), nullable=False),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=True),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_worker_cards_worker", "worker_cards", ["worker_id"])


def downgrade() -> None:
    op.drop_index("ix_worker_cards_worker", table_name="worker_cards")
    op.drop_table("worker_cards")
