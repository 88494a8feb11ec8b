"""``sitegate-central serve`` on a database seeded first, for one browser test module.

The browser modules each need the same four steps: a fresh database, their own records and
accounts written straight into it, the database closed, then central started on it (and
stopped after). ``seed`` is the module's own part.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from factories import new_db

from central.registry.sealing import Sealer
from central.storage import Database
from conftest import Central

Seeded = TypeVar("Seeded")


@contextmanager
def seeded_central(
    tmp: Path, broker_url: str, seed: Callable[[Database, Sealer], Seeded]
) -> Iterator[tuple[Central, Seeded]]:
    """Central serving ``tmp``/central.db after ``seed(db, sealer)``; what seed returned."""
    db, sealer = new_db(tmp)
    try:
        seeded = seed(db, sealer)
    finally:
        db.close()
    central = Central(tmp, broker_url, str(tmp / "central.db")).start()
    try:
        yield central, seeded
    finally:
        central.stop()
