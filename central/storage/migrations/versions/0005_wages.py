"""Wages: real-name registry, consent and templates, attendance days, payroll, warnings, users.

The tables are created from their one definition in central/storage/schema.py (WAGE_TABLES),
so this migration and the queries cannot drift apart.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from central.storage.schema import WAGE_TABLES

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in WAGE_TABLES:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(WAGE_TABLES):
        table.drop(bind)
