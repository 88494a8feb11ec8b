"""PostgreSQL planner settings for the statements that read or write a whole project-month.

Both engines run the same SQL; only PostgreSQL needs telling two things about a month:

* **memory**: a project-month of events or days (300,000 rows of 5,000 workers) sorts in
  about 50 MB; with the default ``work_mem`` of 4 MB the sorts of the days refresh and of the
  payroll's day shares went to disk;
* **no nested loops**: the planner guesses one row for a CTE that is grouped and filtered
  (or for a table just bulk-loaded, before its statistics are taken) and then loops over
  150,000 days per worker; every join of a project-month is best hashed.

Both are ``SET LOCAL``: they end with the transaction, and a pooled connection's next user
gets the server's defaults.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

MONTH_WORK_MEM = "256MB"  # per sort or hash of one statement, not per connection


def month_memory(conn: Connection) -> None:
    """Sort and hash a project-month in memory for the rest of the transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL work_mem = '{MONTH_WORK_MEM}'"))


@contextmanager
def hash_joins(conn: Connection) -> Iterator[None]:
    """No nested loops for the statements run inside (PostgreSQL; nothing on SQLite)."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(text("SET LOCAL enable_nestloop = off"))
    yield
    if postgres:
        conn.execute(text("SET LOCAL enable_nestloop TO DEFAULT"))
