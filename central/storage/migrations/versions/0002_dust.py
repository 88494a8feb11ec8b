"""Dust readings and dust alarms.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dust_readings",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("sensor", sa.String(64), nullable=False),
        sa.Column("window", sa.String(8), nullable=False),
        sa.Column("window_start", sa.String(40), nullable=False),
        sa.Column("window_end", sa.String(40), nullable=False),
        sa.Column("start_utc_us", sa.BigInteger, nullable=False),
        sa.Column("pm1_0", sa.Float, nullable=True),
        sa.Column("pm2_5", sa.Float, nullable=True),
        sa.Column("pm10", sa.Float, nullable=True),
        sa.Column("tsp", sa.Float, nullable=True),
        sa.Column("humidity", sa.Float, nullable=True),
        sa.Column("samples", sa.Integer, nullable=False),
        sa.Column("expected_samples", sa.Integer, nullable=False),
        sa.Column("flags", sa.String(600), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
    )
    op.create_index(
        "ix_dust_readings_site_window_start", "dust_readings", ["site", "window", "start_utc_us"]
    )
    op.create_table(
        "dust_alarms",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("pollutant", sa.String(8), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("limit_value", sa.Float, nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("window", sa.String(8), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("at_utc_us", sa.BigInteger, nullable=False),
        sa.Column("exceedances_today", sa.Integer, nullable=True),
        sa.Column("allowed_per_day", sa.Integer, nullable=True),
        sa.Column("received_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_dust_alarms_site_at", "dust_alarms", ["site", "at_utc_us"])


def downgrade() -> None:
    op.drop_table("dust_alarms")
    op.drop_table("dust_readings")
