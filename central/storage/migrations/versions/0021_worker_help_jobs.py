"""Worker help and jobs: wage complaints, job posts, applications and résumés.

The tables are written out here as they are at this revision (a migration is a historical
record: later changes to central/storage/schema.py come in later revisions).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wage_complaints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("months", sa.String(100), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("description", sa.String(1000), nullable=False),
        sa.Column("filed_at", sa.String(40), nullable=False),
        sa.Column("due_on", sa.String(10), nullable=False),
        sa.Column("arrears_case_id", sa.Integer, sa.ForeignKey("arrears_cases.id"), nullable=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("wage_warnings.id"), nullable=True),
        sa.Column("overdue_at", sa.String(40), nullable=True),
    )
    op.create_index("ix_wage_complaints_worker", "wage_complaints", ["worker_id", "id"])
    op.create_index("ix_wage_complaints_due", "wage_complaints", ["overdue_at", "due_on"])
    op.create_table(
        "job_posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("city", sa.String(6), nullable=False),
        sa.Column("trade", sa.String(20), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("pay_fen", sa.BigInteger, nullable=False),
        sa.Column("headcount", sa.Integer, nullable=False),
        sa.Column("starts_on", sa.String(10), nullable=False),
        sa.Column("ends_on", sa.String(10), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_job_posts_city", "job_posts", ["status", "city"])
    op.create_index("ix_job_posts_enterprise", "job_posts", ["enterprise_id"])
    op.create_table(
        "job_applications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("job_posts.id"), nullable=False),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("applied_at", sa.String(40), nullable=False),
        sa.Column("offer_start_on", sa.String(10), nullable=True),
        sa.Column("offered_by", sa.String(64), nullable=True),
        sa.Column("offered_at", sa.String(40), nullable=True),
        sa.Column("decided_at", sa.String(40), nullable=True),
        sa.Column("employment_id", sa.Integer, sa.ForeignKey("employments.id"), nullable=True),
    )
    op.create_index(
        "ux_job_applications_post_worker",
        "job_applications",
        ["post_id", "worker_id"],
        unique=True,
    )
    op.create_index("ix_job_applications_worker", "job_applications", ["worker_id"])
    op.create_table(
        "worker_resumes",
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), primary_key=True),
        sa.Column("trade", sa.String(20), nullable=False),
        sa.Column("years", sa.Integer, nullable=False),
        sa.Column("certificates", sa.String(500), nullable=True),
        sa.Column("shared", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("worker_resumes")
    op.drop_index("ix_job_applications_worker", table_name="job_applications")
    op.drop_index("ux_job_applications_post_worker", table_name="job_applications")
    op.drop_table("job_applications")
    op.drop_index("ix_job_posts_enterprise", table_name="job_posts")
    op.drop_index("ix_job_posts_city", table_name="job_posts")
    op.drop_table("job_posts")
    op.drop_index("ix_wage_complaints_due", table_name="wage_complaints")
    op.drop_index("ix_wage_complaints_worker", table_name="wage_complaints")
    op.drop_table("wage_complaints")
