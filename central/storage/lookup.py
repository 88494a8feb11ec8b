"""One stored record by its id, or ``NotFound`` naming it; the id of a row just inserted.

Batches, lines, enterprises and projects are all fetched the same way before a step acts on
them; a missing id must fail the same way everywhere (the API maps ``NotFound`` to 404).
"""

from typing import Any

from sqlalchemy import Connection, CursorResult, Table, select

from central.errors import NotFound


def by_id(conn: Connection, table: Table, row_id: object, what: str) -> dict[str, object]:
    """The row of ``table`` whose ``id`` is ``row_id``; ``what`` names it in the error."""
    row = conn.execute(select(table).where(table.c.id == row_id)).first()
    if row is None:
        raise NotFound(f"{what} {row_id}")
    return dict(row._mapping)


def inserted_key(result: CursorResult[Any]) -> object:
    """The primary key of the one row an INSERT just added (SQLAlchemy types it optional)."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the statement inserted no row")
    return key[0]


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer id of the one row an INSERT just added to a table with a serial id."""
    return int(str(inserted_key(result)))


def as_int(value: object) -> int:
    """An integer column's value from a row typed ``dict[str, object]``, checked, not cast."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer column value, got {type(value).__name__}")
    return value
