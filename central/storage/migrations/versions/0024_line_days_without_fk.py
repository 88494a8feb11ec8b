"""``payroll_line_days.line_id`` without its foreign key.

Measured on PostgreSQL (benchmarks/payroll.py, a project of 5,000 workers): checking the key
for each of the 150,000 line days took 1.3 of the 3.1 s that computing the batch took (a
``SELECT … FOR KEY SHARE`` of the line per row). Line days are written in the transaction that
writes their lines, by one module (central/payroll/batches.py ``_write_lines``), which deletes
a batch's line days before its lines; nothing else deletes lines. The rule the key kept is
proven instead by tests over every write (tests/central/test_payroll_set_based.py).

Revision ID: 0024
Revises: 0023
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# SQLite keeps the key unnamed: batch mode names it by this convention to drop it.
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_SQLITE_NAME = "fk_payroll_line_days_line_id_payroll_lines"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("payroll_line_days_line_id_fkey", "payroll_line_days", "foreignkey")
        return
    with op.batch_alter_table("payroll_line_days", naming_convention=_NAMING) as batch:
        batch.drop_constraint(_SQLITE_NAME, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(
            "payroll_line_days_line_id_fkey",
            "payroll_line_days",
            "payroll_lines",
            ["line_id"],
            ["id"],
        )
        return
    with op.batch_alter_table("payroll_line_days", naming_convention=_NAMING) as batch:
        batch.create_foreign_key(_SQLITE_NAME, "payroll_lines", ["line_id"], ["id"])
