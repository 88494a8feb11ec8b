"""Tenancy: general contractors and subcontractors on projects, supervisors' jurisdictions.

Adds the enterprises registered on a project besides its general contractor, the project's
GB/T 2260 division code and construction status, a supervisor account's division, the
employer a face consent was given to, and the worker a wage warning is about.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_enterprises",
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), primary_key=True),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("registered_at", sa.String(40), nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_project_enterprises_enterprise", "project_enterprises", ["enterprise_id"])
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("division_code", sa.String(6), nullable=True))
        batch.add_column(
            sa.Column("status", sa.String(20), nullable=False, server_default="under_construction")
        )
    op.create_index("ix_projects_division", "projects", ["division_code"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("division_code", sa.String(6), nullable=True))
    op.create_index("ux_users_worker", "users", ["worker_id"], unique=True)
    with op.batch_alter_table("face_consents") as batch:
        batch.add_column(sa.Column("enterprise_id", sa.Integer, nullable=True))
    with op.batch_alter_table("wage_warnings") as batch:
        batch.add_column(sa.Column("worker_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wage_warnings") as batch:
        batch.drop_column("worker_id")
    with op.batch_alter_table("face_consents") as batch:
        batch.drop_column("enterprise_id")
    op.drop_index("ux_users_worker", "users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("division_code")
    op.drop_index("ix_projects_division", "projects")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("status")
        batch.drop_column("division_code")
    op.drop_index("ix_project_enterprises_enterprise", "project_enterprises")
    op.drop_table("project_enterprises")
