"""One stored record by its id, or ``NotFound`` naming it.

Batches, lines, enterprises and projects are all fetched the same way before a step acts on
them; a missing id must fail the same way everywhere (the API maps ``NotFound`` to 404).
"""

from sqlalchemy import Connection, Table, select

from central.errors import NotFound


def by_id(conn: Connection, table: Table, row_id: object, what: str) -> dict[str, object]:
    """The row of ``table`` whose ``id`` is ``row_id``; ``what`` names it in the error."""
    row = conn.execute(select(table).where(table.c.id == row_id)).first()
    if row is None:
        raise NotFound(f"{what} {row_id}")
    return dict(row._mapping)
