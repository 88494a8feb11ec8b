"""Device identity and sync: MQTT accounts, remote config versions, site face galleries.

The tables are written out here as they were at this revision (a migration is a historical
record: later changes to central/storage/schema.py come in later revisions).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mqtt_accounts",
        sa.Column("username", sa.String(140), primary_key=True),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("site", sa.String(64), nullable=True),
        sa.Column("device", sa.String(64), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_mqtt_accounts_device", "mqtt_accounts", ["site", "device"])
    op.create_table(
        "device_configs",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "device_sync",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("config_version", sa.Integer, nullable=False),
        sa.Column("config_error", sa.String(200), nullable=True),
        sa.Column("config_rejected", sa.Integer, nullable=True),
        sa.Column("gallery_version", sa.BigInteger, nullable=False),
        sa.Column("reported_at", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "gallery_versions",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "site_gallery",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("worker_id", sa.String(64), primary_key=True),
        sa.Column("templates_sealed", sa.LargeBinary, nullable=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_site_gallery_site_version", "site_gallery", ["site", "version"])


def downgrade() -> None:
    for table in (
        "site_gallery",
        "gallery_versions",
        "device_sync",
        "device_configs",
        "mqtt_accounts",
    ):
        op.drop_table(table)
