"""Worker cards registered at central and carried to gates by the gallery sync.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa  # noqa: F401  (used once this revision has content)
from alembic import op  # noqa: F401

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: this revision holds its place in the chain."""


def downgrade() -> None:
    """Nothing to undo."""
