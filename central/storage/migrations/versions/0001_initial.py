"""Initial schema: devices, events, attendance, dead letters.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("secret_hex", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("status", sa.Text, nullable=True),
        sa.Column("status_at", sa.String(40), nullable=True),
    )
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_events_site_device_seq", "events", ["site", "device", "seq"])
    op.create_table(
        "attendance",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("worker_id", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("distance", sa.Float, nullable=True),
        sa.Column("liveness", sa.String(16), nullable=False),
        sa.Column("captured_at", sa.String(40), nullable=False),
        sa.Column("captured_utc_us", sa.BigInteger, nullable=False),
        sa.Column("local_date", sa.String(10), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_attendance_site_date", "attendance", ["site", "local_date"])
    op.create_index("ix_attendance_worker_date", "attendance", ["worker_id", "local_date"])
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("topic", sa.String(256), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("detail", sa.String(256), nullable=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("payload_size", sa.Integer, nullable=False),
    )
    op.create_index("ix_dead_letters_reason", "dead_letters", ["reason"])


def downgrade() -> None:
    for table in ("dead_letters", "attendance", "events", "devices"):
        op.drop_table(table)
