"""Open a sqlite-utils database that keeps what it commits through kill -9 and power loss.

The outbox, the HJ 212 packet queue and the applied remote config must never lose a write
they reported done, so all three open their file the same way: WAL, ``synchronous=FULL``
(every commit fsynced), autocommit unless a caller issues ``BEGIN``, and shared across the
gate's threads (each caller serialises with its own lock).
"""

import sqlite3
from pathlib import Path

import sqlite_utils


def open_durable(path: Path) -> sqlite_utils.Database:
    """The database at ``path`` (created with its folder if missing), WAL and fully synced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return sqlite_utils.Database(conn)
