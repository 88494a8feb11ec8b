"""The ``--db`` option every ``sitegate-central`` command takes, and the database it opens.

Each command group (central/cli/app.py, cli_wages.py, provisioning/commands.py) declares the
option and opens the database the same way, so both live here once. Opening applies any
pending migrations, as ``serve`` does at start: a command never runs on an old schema.
"""

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported when a command runs, so ``--help`` stays fast
    from central.storage import Database

DbOpt = Annotated[str, typer.Option("--db", help="SQLite path or postgresql://… URL")]


def open_db(db: str) -> "Database":
    """The database at ``db`` (path or URL), upgraded to the newest schema revision."""
    from central.storage import Database

    database = Database(db)
    database.upgrade()
    return database
