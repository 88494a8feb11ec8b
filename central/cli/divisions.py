"""``sitegate-central divisions load``: the GB/T 2260 division names into the database.

central loads them by itself at start when its table is empty; this command (re)loads them
on demand, e.g. after ``./dev setup`` fetched a newer pinned dataset, or from a file built
elsewhere (``--from``) on a closed network (central/registry/division_source.py).
"""

from pathlib import Path
from typing import Annotated

import typer

from central.cli.db import DbOpt, open_db
from central.cli.errors import CliErrors, fail

divisions_app = typer.Typer(
    cls=CliErrors, help="GB/T 2260 division names (南宁市 for 450100).", no_args_is_help=True
)


@divisions_app.command("load")
def divisions_load(
    db: DbOpt = "sitegate-central.db",
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="a divisions.json built by python -m central.registry.division_source; "
            "default: the one ./dev setup fetched",
        ),
    ] = None,
) -> None:
    """Insert or replace every division of the file (existing names entered by hand for codes
    the file does not hold are kept)."""
    from central.registry.division_source import FILE
    from central.registry.divisions import load_file

    path = source or FILE
    if not path.is_file():
        raise fail(
            f"{path}: no such file; run ./dev setup (python -m central.registry.division_source)"
        )
    database = open_db(db)
    try:
        loaded = load_file(database, path)
    finally:
        database.close()
    typer.echo(f"{loaded} divisions loaded from {path}")
