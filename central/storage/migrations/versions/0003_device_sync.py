"""Device identity and sync: MQTT accounts, remote config versions, site face galleries.

The tables are created from their one definition in central/storage/schema.py (SYNC_TABLES),
so this migration and the queries cannot drift apart.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from central.storage.schema import SYNC_TABLES

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in SYNC_TABLES:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(SYNC_TABLES):
        table.drop(bind)
