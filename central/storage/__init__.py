"""Storage behind one small interface: SQLAlchemy Core 2.x, SQLite by default, PostgreSQL by URL.

Core (not the ORM) because ingest is bulk inserts with ON CONFLICT and the queries are a
handful of filtered selects: the same statements run on both engines without an object layer.
"""

from central.storage.database import Database, StoreResult

__all__ = ["Database", "StoreResult"]
