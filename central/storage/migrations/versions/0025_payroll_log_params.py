"""``payroll_log.params``: the parameters of the notes central writes itself.

The enterprise console showed a step's note as central wrote it, in English, on its Chinese
page ("2 line(s) to bank-1.csv"). The note's parameters are now kept beside it (JSON), so the
page fills the reader's translation of the step's msgid (central/payroll/step_notes.py);
``note`` keeps the English text for the API and the CLI. Rows written before have no
parameters and show their note as written.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payroll_log", sa.Column("params", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payroll_log") as batch:
        batch.drop_column("params")
