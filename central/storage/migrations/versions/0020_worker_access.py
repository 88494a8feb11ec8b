"""Worker access: one-time activation codes for worker accounts, and an index on workers'
phone numbers (a worker signs in with phone number or ID number and a PIN).

The table is written out here as it is at this revision (a migration is a historical record:
later changes to central/storage/schema.py come in later revisions).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_activation_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("created_utc_us", sa.BigInteger, nullable=False),
        sa.Column("expires_utc_us", sa.BigInteger, nullable=False),
        sa.Column("used_utc_us", sa.BigInteger, nullable=True),
        sa.Column("revoked_utc_us", sa.BigInteger, nullable=True),
    )
    op.create_index(
        "ux_worker_activation_codes_code", "worker_activation_codes", ["code_sha256"], unique=True
    )
    op.create_index("ix_worker_activation_codes_worker", "worker_activation_codes", ["worker_id"])
    op.create_index("ix_workers_phone", "workers", ["phone"])


def downgrade() -> None:
    op.drop_index("ix_workers_phone", "workers")
    op.drop_index("ix_worker_activation_codes_worker", "worker_activation_codes")
    op.drop_index("ux_worker_activation_codes_code", "worker_activation_codes")
    op.drop_table("worker_activation_codes")
