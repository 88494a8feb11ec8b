"""Supervision polish: division names, warning subject parameters, arrears-case history and
gates' link state over time.

- ``divisions``: GB/T 2260 codes with their names (loaded from a pinned npm dataset at set-up,
  central/registry/divisions.py), so pages show 南宁市 rather than 450100;
- ``wage_warnings.params``: the subject's parameters (JSON), so the subject is rendered in the
  reader's language from the warning's kind (central/warnings/subjects.py);
- ``arrears_case_history``: every change of an arrears case;
- ``gate_links``: when each gate came online or went silent ("online since").

The tables are written out here as they are at this revision.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wage_warnings") as batch:
        batch.add_column(sa.Column("params", sa.Text, nullable=True))
    op.create_table(
        "divisions",
        sa.Column("code", sa.String(6), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("parent", sa.String(6), nullable=True),
    )
    op.create_index("ix_divisions_parent", "divisions", ["parent"])
    op.create_table(
        "arrears_case_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("arrears_cases.id"), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_arrears_case_history_case", "arrears_case_history", ["case_id", "id"])
    op.create_table(
        "gate_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("since", sa.String(40), nullable=False),
        sa.Column("cause", sa.String(20), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_gate_links_gate", "gate_links", ["site", "device", "id"])


def downgrade() -> None:
    op.drop_index("ix_gate_links_gate", table_name="gate_links")
    op.drop_table("gate_links")
    op.drop_index("ix_arrears_case_history_case", table_name="arrears_case_history")
    op.drop_table("arrears_case_history")
    op.drop_index("ix_divisions_parent", table_name="divisions")
    op.drop_table("divisions")
    with op.batch_alter_table("wage_warnings") as batch:
        batch.drop_column("params")
