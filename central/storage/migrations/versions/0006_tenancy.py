"""Tenancy: general contractors and subcontractors on projects, supervisors' jurisdictions.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa  # noqa: F401  (used once this revision has content)
from alembic import op  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: this revision holds its place in the chain."""


def downgrade() -> None:
    """Nothing to undo."""
