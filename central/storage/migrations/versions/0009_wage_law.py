"""Wages by the letter of the law: per-minute pay, compensatory rest, card replacement, banks.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_LINE_MONEY = ("plain_fen", "extended_fen", "restday_fen", "holiday_fen", "additions_fen")


def upgrade() -> None:
    with op.batch_alter_table("attendance_days") as t:
        t.add_column(sa.Column("intervals", sa.Text, nullable=True))
    with op.batch_alter_table("projects") as t:
        t.add_column(sa.Column("min_hourly_wage_fen", sa.Integer, nullable=True))
    with op.batch_alter_table("payroll_lines") as t:
        t.alter_column("half_days", new_column_name="attended_days", existing_type=sa.Integer)
        t.add_column(sa.Column("pay_kind", sa.String(8), nullable=True))
        t.add_column(sa.Column("rate_fen", sa.BigInteger, nullable=True))
        t.add_column(sa.Column("plain_minutes", sa.Integer, nullable=False, server_default="0"))
        t.add_column(
            sa.Column("compensated_minutes", sa.Integer, nullable=False, server_default="0")
        )
        for name in _LINE_MONEY:
            t.add_column(sa.Column(name, sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "payroll_line_days",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("line_id", sa.Integer, sa.ForeignKey("payroll_lines.id"), nullable=False),
        sa.Column("local_date", sa.String(10), nullable=False),
        sa.Column("day_kind", sa.String(16), nullable=False),
        sa.Column("first_in", sa.String(40), nullable=True),
        sa.Column("last_out", sa.String(40), nullable=True),
        sa.Column("plain_minutes", sa.Integer, nullable=False),
        sa.Column("extended_minutes", sa.Integer, nullable=False),
        sa.Column("restday_minutes", sa.Integer, nullable=False),
        sa.Column("holiday_minutes", sa.Integer, nullable=False),
        sa.Column("compensated_minutes", sa.Integer, nullable=False),
        sa.Column("money_fen", sa.BigInteger, nullable=False),
        sa.Column("flags", sa.String(200), nullable=False),
        sa.Column("note", sa.String(300), nullable=True),
    )
    op.create_index("ix_payroll_line_days_line", "payroll_line_days", ["line_id", "local_date"])
    op.create_table(
        "compensatory_rest",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("employer_id", sa.Integer, nullable=False),
        sa.Column("worked_date", sa.String(10), nullable=False),
        sa.Column("rest_date", sa.String(10), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("confirmed_at", sa.String(40), nullable=True),
    )
    op.create_index(
        "ux_compensatory_rest_worked",
        "compensatory_rest",
        ["worker_id", "employer_id", "worked_date"],
        unique=True,
    )
    op.create_table(
        "card_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("old_card_masked", sa.String(32), nullable=True),
        sa.Column("new_card_masked", sa.String(32), nullable=False),
        sa.Column("bank", sa.String(100), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("by_user", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_index("ix_card_changes_worker", "card_changes", ["worker_id", "id"])


def downgrade() -> None:
    op.drop_table("card_changes")
    op.drop_table("compensatory_rest")
    op.drop_table("payroll_line_days")
    with op.batch_alter_table("payroll_lines") as t:
        for name in (*_LINE_MONEY, "compensated_minutes", "plain_minutes", "rate_fen", "pay_kind"):
            t.drop_column(name)
        t.alter_column("attended_days", new_column_name="half_days", existing_type=sa.Integer)
    with op.batch_alter_table("projects") as t:
        t.drop_column("min_hourly_wage_fen")
    with op.batch_alter_table("attendance_days") as t:
        t.drop_column("intervals")
