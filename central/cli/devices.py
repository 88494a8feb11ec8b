"""``sitegate-central devices broker-files`` and ``devices service-account``.

Registered on the ``devices`` group in central/cli/app.py. They print paths and usernames only:
passwords go to 0600 files, hashes to the broker's password file, never to the terminal.
"""

from pathlib import Path
from typing import Annotated

import typer

from central.cli.db import DbOpt, open_db


def broker_files_cmd(
    passwd: Annotated[Path, typer.Option(help="Mosquitto password_file to write")],
    acl: Annotated[Path, typer.Option(help="Mosquitto acl_file to write")],
    db: DbOpt = "sitegate-central.db",
) -> None:
    """Write Mosquitto's password and ACL files for every account (then SIGHUP the broker)."""
    from central.provisioning.accounts import list_accounts
    from central.provisioning.mosquitto import write_broker_files

    database = open_db(db)
    accounts = list_accounts(database)
    write_broker_files(accounts, passwd, acl)
    devices = sum(a.role == "device" for a in accounts)
    typer.echo(
        f"wrote {passwd} and {acl}: {devices} device(s), {len(accounts) - devices} service(s)"
    )


def service_account_cmd(
    user: Annotated[str, typer.Option(help="MQTT username, e.g. central")],
    password_file: Annotated[Path, typer.Option(help="where to write the new password (0600)")],
    db: DbOpt = "sitegate-central.db",
) -> None:
    """Create or rotate a service account with access to all of sitegate/v1 (for central)."""
    from central.provisioning.accounts import AccountExists, set_service_account
    from central.provisioning.mosquitto import write_atomically

    if not user or any(c in user for c in ":# +/\n"):
        raise typer.BadParameter("a username without ':', '#', '+', '/' or spaces")
    database = open_db(db)
    try:
        password = set_service_account(database, user)
    except AccountExists as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    write_atomically(password_file, password + "\n")
    typer.echo(f"service account {user}: password written to {password_file}")
