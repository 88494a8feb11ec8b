"""``sitegate-central users …`` and ``sitegate-central payroll …``: the wage side's commands.

central/cli/app.py attaches ``users_app`` and ``payroll_app``. Expected failures (a wrong state,
a silent gate, a bad file) print one line on stderr and exit 1; nothing heavy is imported
until a command runs.
"""

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from central.cli.db import DbOpt, open_db

users_app = typer.Typer(
    help="API accounts (the first admin comes from here).", no_args_is_help=True
)
payroll_app = typer.Typer(
    help="Payroll: compute, close, export the bank file, import the bank's result, warnings.",
    no_args_is_help=True,
)

ByOpt = Annotated[str | None, typer.Option("--by", help="who does this (default: cli:<login>)")]


def _by(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="login name")],
    role: Annotated[
        str, typer.Option(help="admin|supervisor|contractor_admin|site_manager|worker")
    ],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="≥ 10 chars")
    ],
    enterprise_id: Annotated[int | None, typer.Option(help="for contractor_admin")] = None,
    project_id: Annotated[str | None, typer.Option(help="for site_manager")] = None,
    worker_id: Annotated[str | None, typer.Option(help="for worker")] = None,
    db: DbOpt = "sitegate-central.db",
) -> None:
    """Create an API user (argon2-hashed password); the first admin is made this way."""
    from pydantic import ValidationError

    from central.auth.users import UserIn, add_user
    from central.errors import CentralError

    try:
        data = UserIn(
            username=username,
            password=password,
            role=role,  # type: ignore[arg-type]
            enterprise_id=enterprise_id,
            project_id=project_id,
            worker_id=worker_id,
        )
        who = add_user(open_db(db), data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "user"
        raise _fail(ValueError(f"{where}: {first['msg']}")) from None
    except CentralError as exc:
        raise _fail(exc) from None
    typer.echo(f"user {who.username} added with role {who.role.value}")


@payroll_app.command("compute")
def payroll_compute(
    project: Annotated[str, typer.Option(help="project (site) id")],
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    db: DbOpt = "sitegate-central.db",
    by: ByOpt = None,
) -> None:
    """Create or recompute the month's draft batch from attendance."""
    from central.errors import CentralError
    from central.payroll import batches

    try:
        b = batches.compute(open_db(db), project, month, _by(by))
    except CentralError as exc:
        raise _fail(exc) from None
    typer.echo(f"batch {b['id']} {project} {month}: {b['state']}, net {b['net_fen']} fen")


@payroll_app.command("close")
def payroll_close(
    project: Annotated[str, typer.Option(help="project (site) id")],
    period: Annotated[str, typer.Option(help="YYYY-MM (month) or YYYY-MM-DD (day)")],
    db: DbOpt = "sitegate-central.db",
    by: ByOpt = None,
) -> None:
    """Close a day or month; refused, naming them, while a gate has not reported past it."""
    from central.attendance import closing
    from central.errors import CentralError

    kind = "day" if len(period) == 10 else "month"
    try:
        closing.close(open_db(db), project, kind, period, _by(by))
    except CentralError as exc:
        raise _fail(exc) from None
    typer.echo(f"{project} {kind} {period} closed")


@payroll_app.command("approve")
def payroll_approve(batch: int, db: DbOpt = "sitegate-central.db", by: ByOpt = None) -> None:
    """Approve a draft batch (refused if late events changed it: review, then approve again)."""
    from central.errors import CentralError
    from central.payroll import batches

    try:
        b = batches.approve(open_db(db), batch, _by(by))
    except CentralError as exc:
        raise _fail(exc) from None
    typer.echo(f"batch {batch} {b['state']}")


@payroll_app.command("export")
def payroll_export(
    batch: int,
    out: Annotated[Path, typer.Option(help="bank file to write: .csv or .xlsx (0600)")],
    db: DbOpt = "sitegate-central.db",
    by: ByOpt = None,
) -> None:
    """Write the bank disbursement file (whole ID and card numbers) for the lines due."""
    from rich.progress import Progress

    from central.errors import CentralError
    from central.payroll import bankfiles, batches
    from central.registry.sealing import sealer_for

    database = open_db(db)
    try:
        with database.engine.connect() as conn:
            total = sum(1 for line in batches.lines(conn, batch) if line["state"] == "pending")
        with Progress(transient=True) as bar:
            task = bar.add_task("writing bank file", total=total)
            count = bankfiles.export(
                database,
                sealer_for(db),
                batch,
                out,
                _by(by),
                lambda n: bar.update(task, advance=n),
            )
    except CentralError as exc:
        raise _fail(exc) from None
    typer.echo(f"{count} payment(s) written to {out}")


@payroll_app.command("import-result")
def payroll_import_result(
    batch: int,
    file: Annotated[Path, typer.Argument(help="the bank's result CSV (docs/wages.md)")],
    db: DbOpt = "sitegate-central.db",
    by: ByOpt = None,
) -> None:
    """Mark lines paid or failed from the bank's result file."""
    from central.errors import CentralError
    from central.payroll import bankfiles
    from central.registry.sealing import sealer_for

    try:
        result = bankfiles.import_results(open_db(db), sealer_for(db), batch, file, _by(by))
    except (CentralError, OSError) as exc:
        raise _fail(exc) from None
    for problem in result.errors:
        typer.echo(f"refused: {problem}", err=True)
    typer.echo(f"{result.paid} paid, {result.failed} failed; batch {batch} {result.batch_state}")
    if result.errors:
        raise typer.Exit(1)


@payroll_app.command("warnings")
def payroll_warnings(
    db: DbOpt = "sitegate-central.db",
    today: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
) -> None:
    """Run the arrears indicators and list the open warnings."""
    from sqlalchemy import select

    from central.storage import schema
    from central.warnings.indicators import scan

    database = open_db(db)
    new = scan(database, date.fromisoformat(today) if today else date.today())
    w = schema.wage_warnings.c
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(w.id, w.severity, w.kind, w.subject).where(w.state == "open").order_by(w.id)
        ).all()
    for r in rows:
        typer.echo(f"#{r.id}\t{r.severity}\t{r.kind}\t{r.subject}")
    typer.echo(f"{len(rows)} open warning(s), {new} new")
