"""E-contracts (电子合同) and safety training (安全教育): contract templates, e-contracts with
their draft and signed PDFs, training courses and assignments, each project's training rule
(may its gates refuse the untrained, how early to warn of expiry), the workers its gates were
told to keep out, and the course a training record completes.

The tables are written out here as they are at this revision (a migration is a historical
record: later changes to central/storage/schema.py come in later revisions).

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_templates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=True),
    )
    op.create_index("ix_contract_templates_enterprise", "contract_templates", ["enterprise_id"])
    op.create_table(
        "econtracts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("employment_id", sa.Integer, sa.ForeignKey("employments.id"), nullable=False),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("employer_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column(
            "template_id", sa.Integer, sa.ForeignKey("contract_templates.id"), nullable=False
        ),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("draft_pdf", sa.LargeBinary, nullable=False),
        sa.Column("draft_sha256", sa.String(64), nullable=False),
        sa.Column("signed_pdf", sa.LargeBinary, nullable=True),
        sa.Column("signed_sha256", sa.String(64), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.String(40), nullable=True),
        sa.Column("signed_at", sa.String(40), nullable=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=True),
    )
    op.create_index("ix_econtracts_project_worker", "econtracts", ["project_id", "worker_id"])
    op.create_index("ix_econtracts_worker", "econtracts", ["worker_id"])
    op.create_table(
        "training_courses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("hours", sa.Integer, nullable=False),
        sa.Column("valid_days", sa.Integer, nullable=False),
        sa.Column("material_text", sa.Text, nullable=True),
        sa.Column("material_pdf", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_training_courses_enterprise", "training_courses", ["enterprise_id"])
    op.create_table(
        "training_assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("course_id", sa.Integer, sa.ForeignKey("training_courses.id"), nullable=False),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("assigned_at", sa.String(40), nullable=False),
        sa.Column("assigned_by", sa.String(64), nullable=False),
    )
    op.create_index(
        "ux_training_assignments",
        "training_assignments",
        ["course_id", "project_id", "worker_id"],
        unique=True,
    )
    op.create_index("ix_training_assignments_worker", "training_assignments", ["worker_id"])
    op.create_table(
        "training_rules",
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("required", sa.Integer, nullable=False),
        sa.Column("warn_days", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "gate_entry_bars",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("worker_id", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("since", sa.String(40), nullable=False),
    )
    with op.batch_alter_table("trainings") as batch:
        batch.add_column(sa.Column("course_id", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trainings") as batch:
        batch.drop_column("course_id")
    op.drop_table("gate_entry_bars")
    op.drop_table("training_rules")
    op.drop_index("ix_training_assignments_worker", table_name="training_assignments")
    op.drop_index("ux_training_assignments", table_name="training_assignments")
    op.drop_table("training_assignments")
    op.drop_index("ix_training_courses_enterprise", table_name="training_courses")
    op.drop_table("training_courses")
    op.drop_index("ix_econtracts_worker", table_name="econtracts")
    op.drop_index("ix_econtracts_project_worker", table_name="econtracts")
    op.drop_table("econtracts")
    op.drop_index("ix_contract_templates_enterprise", table_name="contract_templates")
    op.drop_table("contract_templates")
