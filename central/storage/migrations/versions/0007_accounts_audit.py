"""Accounts: the audit log, disabled accounts and forced password changes, token bookkeeping
for revocation and the idle timeout, and the login attempts the throttle counts.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("at_utc_us", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_kind", sa.String(32), nullable=True),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.Column("project_id", sa.String(64), nullable=True),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at_utc_us"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor", "at_utc_us"])
    op.create_index("ix_audit_log_target", "audit_log", ["target_kind", "target_id"])
    with op.batch_alter_table("users") as t:
        t.add_column(sa.Column("disabled", sa.Integer, nullable=False, server_default="0"))
        t.add_column(
            sa.Column("must_change_password", sa.Integer, nullable=False, server_default="0")
        )
    with op.batch_alter_table("api_tokens") as t:
        t.add_column(sa.Column("created_utc_us", sa.BigInteger, nullable=True))
        t.add_column(sa.Column("last_used_utc_us", sa.BigInteger, nullable=True))
    op.create_index("ix_api_tokens_user", "api_tokens", ["user_id"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at_utc_us", sa.BigInteger, nullable=False),
        sa.Column("username_sha256", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(12), nullable=False),
    )
    op.create_index("ix_login_attempts_username", "login_attempts", ["username_sha256", "id"])
    op.create_index("ix_login_attempts_client", "login_attempts", ["client", "at_utc_us"])


def downgrade() -> None:
    op.drop_table("login_attempts")
    op.drop_index("ix_api_tokens_user", "api_tokens")
    with op.batch_alter_table("api_tokens") as t:
        t.drop_column("last_used_utc_us")
        t.drop_column("created_utc_us")
    with op.batch_alter_table("users") as t:
        t.drop_column("must_change_password")
        t.drop_column("disabled")
    op.drop_table("audit_log")
