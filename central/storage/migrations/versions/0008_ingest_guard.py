"""Ingest guards: sealed device secrets, per-device limits, collapsed dead letters.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa  # noqa: F401  (used once this revision has content)
from alembic import op  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: this revision holds its place in the chain."""


def downgrade() -> None:
    """Nothing to undo."""
