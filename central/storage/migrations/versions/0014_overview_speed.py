"""Overview speed: ``staff_spans``, filled from the employments already recorded;
``paid_workers.sole`` (a worker's only paid project), filled, with the indexes both need.

One row per project, worker and unbroken span of employment, with the worker's card state and
whether they were paid on the project (central/registry/staff_spans.py keeps it from here on).
The table is written out as it is at this revision, and filled by the same gaps-and-islands
query as ``staff_spans.rebuild`` in plain SQL both engines run (a migration is a historical
record: it never imports today's code).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OPEN = "'9999-12-31'"
EARLIER_END = (
    f"max(COALESCE(end_date, {OPEN})) OVER (PARTITION BY project_id, worker_id"
    " ORDER BY start_date, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
)
FILL = f"""
INSERT INTO staff_spans (project_id, worker_id, start_date, end_date, card_ok, paid, sole)
SELECT s.project_id, s.worker_id, s.start_date, s.end_date,
       CASE WHEN w.card_hash IS NOT NULL AND w.card_valid = 1 THEN 1 ELSE 0 END,
       CASE WHEN pw.worker_id IS NOT NULL THEN 1 ELSE 0 END,
       CASE WHEN count(*) OVER (PARTITION BY s.worker_id) = 1 THEN 1 ELSE 0 END
FROM (SELECT project_id, worker_id, min(start_date) AS start_date,
             NULLIF(max(end_date), {OPEN}) AS end_date
      FROM (SELECT project_id, worker_id, start_date, end_date,
                   sum(starts) OVER (PARTITION BY project_id, worker_id
                                     ORDER BY start_date, id) AS span
            FROM (SELECT project_id, worker_id, id, start_date,
                         COALESCE(end_date, {OPEN}) AS end_date,
                         CASE WHEN {EARLIER_END} IS NULL OR {EARLIER_END} < start_date
                              THEN 1 ELSE 0 END AS starts
                  FROM employments) f) n
      GROUP BY project_id, worker_id, span) s
JOIN workers w ON w.id = s.worker_id
LEFT JOIN paid_workers pw ON pw.project_id = s.project_id AND pw.worker_id = s.worker_id
"""
SOLE_PAID = (
    "UPDATE paid_workers SET sole = CASE WHEN (SELECT count(*) FROM paid_workers p"
    " WHERE p.worker_id = paid_workers.worker_id) = 1 THEN 1 ELSE 0 END"
)


def upgrade() -> None:
    op.create_table(
        "staff_spans",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("worker_id", sa.String(64), primary_key=True),
        sa.Column("start_date", sa.String(10), primary_key=True),
        sa.Column("end_date", sa.String(10), nullable=True),
        sa.Column("card_ok", sa.Integer, nullable=False),
        sa.Column("paid", sa.Integer, nullable=False),
        sa.Column("sole", sa.Integer, nullable=False),
    )
    op.create_index("ix_staff_spans_worker", "staff_spans", ["worker_id"])
    op.create_index(
        "ix_staff_spans_shared",
        "staff_spans",
        ["sole", "worker_id", "project_id", "start_date", "end_date", "card_ok"],
    )
    op.execute(FILL)
    op.add_column("paid_workers", sa.Column("sole", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_paid_workers_worker", "paid_workers", ["worker_id"])
    op.execute(SOLE_PAID)
    op.create_index(
        "ix_paid_workers_shared", "paid_workers", ["sole", "worker_id", "project_id", "last_month"]
    )


def downgrade() -> None:
    op.drop_index("ix_paid_workers_shared", "paid_workers")
    op.drop_index("ix_paid_workers_worker", "paid_workers")
    with op.batch_alter_table("paid_workers") as batch:
        batch.drop_column("sole")
    op.drop_index("ix_staff_spans_shared", "staff_spans")
    op.drop_index("ix_staff_spans_worker", "staff_spans")
    op.drop_table("staff_spans")
