"""Hostile input: reversible wage adjustments.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa  # noqa: F401  (used once this revision has content)
from alembic import op  # noqa: F401

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: this revision holds its place in the chain."""


def downgrade() -> None:
    """Nothing to undo."""
