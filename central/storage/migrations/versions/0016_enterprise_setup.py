"""Enterprise console set-up: gates provisioned from the console hand their config over once.

``gate_handovers`` holds a provisioned gate's starter config file sealed until its one
download (central/provisioning/gate_handover.py), then who downloaded it and when.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gate_handovers",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("config_sealed", sa.LargeBinary, nullable=True),
        sa.Column("provisioned_by", sa.String(64), nullable=False),
        sa.Column("provisioned_at", sa.String(40), nullable=False),
        sa.Column("downloaded_by", sa.String(64), nullable=True),
        sa.Column("downloaded_at", sa.String(40), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("gate_handovers")
