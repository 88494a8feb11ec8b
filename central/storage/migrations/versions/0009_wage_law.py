"""Wages by the letter of the law: per-minute pay, compensatory rest, card replacement, banks.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa  # noqa: F401  (used once this revision has content)
from alembic import op  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: this revision holds its place in the chain."""


def downgrade() -> None:
    """Nothing to undo."""
