"""The options every ``sitegate-central`` command shares: ``--db`` and the database it opens,
and ``--by`` (who a recorded step is attributed to).

Each command group (central/cli/app.py, payroll.py, users.py, devices.py) declares the options
and opens the database the same way, so they live here once. Opening applies any pending
migrations, as ``serve`` does at start: a command never runs on an old schema.
"""

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported when a command runs, so ``--help`` stays fast
    from central.storage import Database

DbOpt = Annotated[str, typer.Option("--db", help="SQLite path or postgresql://… URL")]
ByOpt = Annotated[str | None, typer.Option("--by", help="who does this (default: cli:<login>)")]


def by_user(by: str | None) -> str:
    """The name a step is recorded under: ``--by``, else the operating-system login."""
    import getpass

    return by or f"cli:{getpass.getuser()}"


def open_db(db: str) -> "Database":
    """The database at ``db`` (path or URL), upgraded to the newest schema revision."""
    from central.storage import Database

    database = Database(db)
    database.upgrade()
    return database
