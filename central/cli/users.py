"""``sitegate-central users …``: API accounts from the command line (the first admin).

central/cli/app.py attaches ``users_app``; refusals (a duplicate name, a weak password) end as
one line on stderr through the group's error wrapper (central/cli/errors.py).
"""

from pathlib import Path
from typing import Annotated

import typer

from central.cli.db import DbOpt, by_user, open_db
from central.cli.errors import CliErrors, fail

users_app = typer.Typer(
    cls=CliErrors, help="API accounts (the first admin comes from here).", no_args_is_help=True
)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="login name")],
    role: Annotated[
        str, typer.Option(help="admin|supervisor|contractor_admin|site_manager|worker")
    ],
    password_file: Annotated[
        str | None,
        typer.Option(
            help="file holding the password (its first line), or - for standard input; "
            "omitted: asked for without echo. Never on the command line, where ps shows it"
        ),
    ] = None,
    enterprise_id: Annotated[int | None, typer.Option(help="for contractor_admin")] = None,
    project_id: Annotated[str | None, typer.Option(help="for site_manager")] = None,
    worker_id: Annotated[str | None, typer.Option(help="for worker")] = None,
    division_code: Annotated[
        str | None,
        typer.Option(
            "--division-code",
            "--division",
            help="for supervisor: GB/T 2260 division, e.g. 450000 (province), 450100 (city)",
        ),
    ] = None,
    db: DbOpt = "sitegate-central.db",
) -> None:
    """Create an API user (argon2-hashed password); the first admin is made this way.

    Staff passwords need 10+ characters and must not be common or trivial. Later accounts,
    workers' included, are better made with POST /api/v1/accounts.
    """
    from pydantic import ValidationError

    from central.audit import Actor
    from central.auth.users import UserIn, add_user

    password = _read_password(password_file)
    try:
        data = UserIn(
            username=username,
            password=password,
            role=role,
            enterprise_id=enterprise_id,
            project_id=project_id,
            worker_id=worker_id,
            division_code=division_code,
        )
        who = add_user(open_db(db), data, by=Actor(by_user(None), "cli"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "user"
        raise fail(f"{where}: {first['msg']}") from None
    typer.echo(f"user {who.username} added with role {who.role.value}")


def _read_password(source: str | None) -> str:
    """The password from a file, standard input (``-``) or a prompt without echo."""
    import sys

    if source is None:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read the password file: {exc.strerror}") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise fail("the password file is empty")
    return lines[0]
