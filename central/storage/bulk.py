"""Multi-row inserts that cost one short statement per batch, on either engine.

SQLite gets ``INSERT … VALUES`` run for every row (SQLAlchemy's executemany; with RETURNING
it becomes multi-row VALUES, which SQLite's ``?`` placeholders make cheap). PostgreSQL gets
``INSERT … SELECT … FROM json_to_recordset(:rows) AS t(col type, …)``: the whole batch is
one JSON text parameter (serialised by the C json encoder, parsed by the server), and the
statement text is the same for any batch size, so psycopg parses it once. Measured with
py-spy on the ingest benchmark, the alternatives cost central CPU in Python: a 500-row
VALUES list is a new 4000-placeholder string that psycopg splits again on every batch (~15%
of central's CPU), and ``unnest`` of one array per column has psycopg quote every element
(~60% of the write path).
"""

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Connection, Executable, Table, Text, bindparam, cast, column, func, select
from sqlalchemy.dialects import postgresql, sqlite

Row = dict[str, Any]


def _json_value(value: object) -> object:
    """Values JSON has no type for, in the text form PostgreSQL reads for their column."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()  # bytea hex input
    raise TypeError(f"no JSON form for {type(value).__name__} in a bulk insert")


@cache
def _statement(
    dialect: str,
    table: Table,
    columns: tuple[str, ...],
    conflict_key: str | None,
    returning: str | None,
) -> Executable:
    if dialect == "postgresql":
        rows = cast(bindparam("rows", type_=Text), postgresql.JSON)
        source = (
            func.json_to_recordset(rows)
            .table_valued(*[column(c, table.c[c].type) for c in columns])
            .render_derived(with_types=True)
        )
        stmt: Any = postgresql.insert(table).from_select(
            list(columns), select(*[source.c[c] for c in columns])
        )
    else:
        stmt = sqlite.insert(table)
    if conflict_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=[conflict_key])
    if returning is not None:
        stmt = stmt.returning(table.c[returning])
    return stmt


def insert_rows(
    conn: Connection,
    table: Table,
    rows: list[Row],
    *,
    skip_conflicts_on: str | None = None,
    returning: str | None = None,
) -> list[Any]:
    """Insert ``rows`` (all with the same keys) in one statement; the ``returning`` values.

    With ``skip_conflicts_on`` a row whose key already exists is skipped, and only the rows
    actually inserted come back in ``returning``.
    """
    if not rows:
        return []
    columns = tuple(rows[0])
    dialect = conn.dialect.name
    stmt = _statement(dialect, table, columns, skip_conflicts_on, returning)
    if dialect == "postgresql":
        params: Row | list[Row] = {
            "rows": json.dumps(rows, ensure_ascii=False, default=_json_value)
        }
    else:
        params = rows
    result = conn.execute(stmt, params)
    return list(result.scalars()) if returning is not None else []


def upsert_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The engine's INSERT … ON CONFLICT builder (SQLite and PostgreSQL share its API)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def greater(conn: Connection, a: Any, b: Any) -> Any:
    """SQL: the larger of two values (GREATEST on PostgreSQL, two-argument max on SQLite)."""
    return func.greatest(a, b) if conn.dialect.name == "postgresql" else func.max(a, b)
