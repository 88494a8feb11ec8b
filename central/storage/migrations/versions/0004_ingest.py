"""Ingest at regional scale: no schema change, a fixed place in the chain.

The batched, idempotent write path needs nothing the initial schema lacks: the primary key
on ``events.event_id`` is the unique constraint that ``ON CONFLICT DO NOTHING`` relies on,
and dead letters already keep reason, detail and capped bytes. The revision keeps its place so
the migration chain stays linear.

Revision ID: 0004
Revises: 0003
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change (see the module docstring)."""


def downgrade() -> None:
    """Nothing to undo."""
