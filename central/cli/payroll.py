"""``sitegate-central payroll …``: compute, close, approve, export, import results, warnings.

central/cli/app.py attaches ``payroll_app``. Expected failures (a wrong state, a silent gate,
a bad file) become one line on stderr and exit 1 through the group's one error wrapper
(central/cli/errors.py); nothing heavy is imported until a command runs.
"""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from central.cli.db import ByOpt, DbOpt, by_user, open_db
from central.cli.errors import CliErrors, fail

payroll_app = typer.Typer(
    cls=CliErrors,
    help="Payroll: compute, close, export the bank file, import the bank's result, warnings.",
    no_args_is_help=True,
)


@payroll_app.command("compute")
def payroll_compute(
    project: Annotated[str, typer.Option(help="project (site) id")],
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    db: DbOpt = "sitegate-central.db",
    by: ByOpt = None,
) -> None:
    """Create or recompute the month's draft batch from attendance."""
    from central.payroll import batches

    b = batches.compute(open_db(db), project, month, by_user(by))
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

    kind = "day" if len(period) == 10 else "month"
    closing.close(open_db(db), project, kind, period, by_user(by))
    typer.echo(f"{project} {kind} {period} closed")


@payroll_app.command("approve")
def payroll_approve(
    batch: int,
    db: DbOpt = "sitegate-central.db",
    by: ByOpt = None,
    hold_disputed: Annotated[
        bool, typer.Option(help="approve the rest and hold the disputed lines back")
    ] = False,
) -> None:
    """Approve a draft batch (refused if late events changed it: review, then approve again;
    refused while a line is disputed, unless the disputed lines are held back)."""
    from central.payroll import batches

    b = batches.approve(open_db(db), batch, by_user(by), hold_disputed=hold_disputed)
    typer.echo(f"batch {batch} {b['state']}")


LayoutOpt = Annotated[
    str,
    typer.Option(
        help="bank file layout: a preset (sitegate, cn-bank) or a JSON file (docs/wages.md)"
    ),
]


@payroll_app.command("export")
def payroll_export(
    batch: int,
    out: Annotated[Path, typer.Option(help="bank file to write: .csv or .xlsx (0600)")],
    db: DbOpt = "sitegate-central.db",
    by: ByOpt = None,
    layout: LayoutOpt = "sitegate",
) -> None:
    """Write the bank disbursement file (whole ID and card numbers) for the lines due."""
    from rich.progress import Progress

    from central.payroll import bankfiles, batches
    from central.payroll.bank_layouts import load_layout
    from central.registry.sealing import sealer_for

    bank_layout = load_layout(layout)
    database = open_db(db)
    with database.engine.connect() as conn:
        total = sum(1 for line in batches.lines(conn, batch) if line["state"] == "pending")
    with Progress(transient=True) as bar:
        task = bar.add_task("writing bank file", total=total)
        count = bankfiles.export(
            database,
            sealer_for(db),
            batch,
            out,
            by_user(by),
            lambda n: bar.update(task, advance=n),
            bank_layout,
        )
    typer.echo(f"{count} payment(s) written to {out}")


@payroll_app.command("import-result")
def payroll_import_result(
    batch: int,
    file: Annotated[Path, typer.Argument(help="the bank's result .csv or .xlsx (docs/wages.md)")],
    db: DbOpt = "sitegate-central.db",
    by: ByOpt = None,
    layout: LayoutOpt = "sitegate",
) -> None:
    """Mark lines paid or failed from the bank's result file."""
    from central.payroll import bankfiles
    from central.payroll.bank_layouts import load_layout
    from central.registry.sealing import sealer_for

    bank_layout = load_layout(layout)
    try:
        result = bankfiles.import_results(
            open_db(db), sealer_for(db), batch, file, by_user(by), bank_layout
        )
    except OSError as exc:  # the file itself: unreadable or missing
        raise fail(f"cannot read {file}: {exc.strerror}") from None
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
