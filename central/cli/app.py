"""``sitegate-central``: serve, database migrations, device provisioning."""

import logging
from pathlib import Path
from typing import Annotated

import typer

from central.cli.db import DbOpt, open_db
from central.cli.devices import broker_files_cmd, service_account_cmd
from central.cli.divisions import divisions_app
from central.cli.errors import CliErrors
from central.cli.payroll import payroll_app
from central.cli.users import users_app

app = typer.Typer(cls=CliErrors, help="sitegate central service.", no_args_is_help=True)
db_app = typer.Typer(cls=CliErrors, help="Database schema.", no_args_is_help=True)
devices_app = typer.Typer(
    cls=CliErrors, help="Gate devices: provisioning and listing.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(devices_app, name="devices")
app.add_typer(users_app, name="users")
app.add_typer(payroll_app, name="payroll")
app.add_typer(divisions_app, name="divisions")


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("alembic", "amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
def serve(
    db: DbOpt = "sitegate-central.db",
    broker: Annotated[
        str | None, typer.Option(help="mqtt://host:port; omitted: embedded broker")
    ] = None,
    embedded_port: Annotated[int, typer.Option(help="port of the embedded broker")] = 1883,
    host: Annotated[str, typer.Option(help="HTTP bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port")] = 8080,
    shared_group: Annotated[
        str | None, typer.Option(help="shared-subscription group for several instances")
    ] = None,
    instance_id: Annotated[
        str | None,
        typer.Option(help="stable id of this instance (its MQTT session); default host-pid"),
    ] = None,
    queue_size: Annotated[int, typer.Option(help="ingest queue bound (messages)")] = 5000,
    batch_size: Annotated[int, typer.Option(help="most events per transaction")] = 2000,
    batch_wait_ms: Annotated[float, typer.Option(help="longest wait to fill a batch")] = 5.0,
    checkers: Annotated[
        int,
        typer.Option(help="worker processes checking signatures; -1: one per core but one"),
    ] = -1,
    broker_ca_file: Annotated[
        str | None, typer.Option(help="CA certificate that signed the mqtts:// broker's cert")
    ] = None,
    broker_password_file: Annotated[
        Path | None,
        typer.Option(help="file holding the broker password of the URL's user (not in argv)"),
    ] = None,
    keep_enrollment_photos: Annotated[
        bool, typer.Option(help="keep enrollment photos (sealed); default: templates only")
    ] = False,
    device_rate: Annotated[
        float, typer.Option(help="messages/s one gate may send, sustained (burst 10 000); 0: off")
    ] = 500,
    device_byte_rate: Annotated[
        float, typer.Option(help="payload bytes/s one gate may send (burst 16 MiB); 0: off")
    ] = 1_048_576,
    max_capture_age_days: Annotated[
        float,
        typer.Option(help="attendance captured longer ago than this is held, not counted"),
    ] = 35,
    metrics_allow: Annotated[
        list[str] | None,
        typer.Option(help="network (CIDR) that may read /metrics; repeat; default loopback"),
    ] = None,
    metrics_token_file: Annotated[
        Path | None,
        typer.Option(help="file holding a bearer token that may read /metrics from anywhere"),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            help="address of a reverse proxy whose X-Forwarded-For is believed (repeatable); "
            "none by default: the login throttle counts the connection's own address"
        ),
    ] = None,
    secure_cookies: Annotated[
        bool,
        typer.Option(help="mark console cookies Secure even on plain HTTP (a TLS proxy in front)"),
    ] = False,
    gate_silent_minutes: Annotated[
        float,
        typer.Option(help="a gate silent this long (no status, no event) becomes a warning"),
    ] = 30,
    complaint_sla_days: Annotated[
        int,
        typer.Option(help="a worker's wage complaint not handled this many days raises a warning"),
    ] = 5,
    activation_code_hours: Annotated[
        float,
        typer.Option(help="how long a worker's one-time activation code stays valid (hours)"),
    ] = 72,
    verbose: bool = False,
) -> None:
    """Run the MQTT ingest and the HTTP API in one process (Ctrl-C stops both cleanly)."""
    import uvicorn

    from central.api.app import create_app
    from central.service import CentralService
    from central.settings import CentralSettings

    _logging(verbose)
    settings = CentralSettings(
        db=db,
        broker=broker,
        embedded_broker_port=embedded_port,
        http_host=host,
        http_port=port,
        shared_group=shared_group,
        queue_size=queue_size,
        batch_size=batch_size,
        batch_wait_ms=batch_wait_ms,
        checkers=checkers,
        keep_enrollment_photos=keep_enrollment_photos,
        **({"instance_id": instance_id} if instance_id else {}),
        device_rate=device_rate,
        device_byte_rate=device_byte_rate,
        max_capture_age_days=max_capture_age_days,
        **({"metrics_networks": metrics_allow} if metrics_allow else {}),
        metrics_token=(
            metrics_token_file.read_text(encoding="utf-8").strip() if metrics_token_file else None
        ),
        broker_ca_file=broker_ca_file,
        secure_cookies=secure_cookies,
        gate_silent_after_s=gate_silent_minutes * 60,
        complaint_sla_days=complaint_sla_days,
        activation_code_hours=activation_code_hours,
    )
    if broker_password_file is not None and settings.broker:
        from central.provisioning.broker_url import with_password

        password = broker_password_file.read_text(encoding="utf-8").strip()
        settings = settings.model_copy(update={"broker": with_password(settings.broker, password)})
    uvicorn.run(
        create_app(CentralService(settings)),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=bool(trusted_proxy),
        forwarded_allow_ips=",".join(trusted_proxy) if trusted_proxy else None,
    )


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = "sitegate-central.db") -> None:
    """Apply schema migrations up to the newest (serve also does this at start)."""
    from central.storage.migrate import current

    database = open_db(db)
    typer.echo(f"schema at revision {current(database.engine)}")


@devices_app.command("add")
def devices_add(
    site: Annotated[str, typer.Option(help="site id")],
    device: Annotated[str, typer.Option(help="device id")],
    db: DbOpt = "sitegate-central.db",
    broker_url: Annotated[
        str, typer.Option(help="broker URL the gate will use")
    ] = "mqtt://127.0.0.1:1883",
    out: Annotated[
        Path | None, typer.Option(help="gate config file to write (default: <site>-<device>.yaml)")
    ] = None,
    ca_file: Annotated[
        str | None, typer.Option(help="CA certificate path for the gate (mqtts:// brokers)")
    ] = None,
) -> None:
    """Provision a gate: HMAC secret and broker account, in central and a 0600 gate config."""
    from sqlalchemy.exc import IntegrityError

    from central.provisioning.accounts import AccountExists, add_device_account, remove_account
    from central.provisioning.gate_file import new_secret, starter_config, write_config
    from wireproto.topics import InvalidIdentifier, check_id

    try:
        check_id(site)
        check_id(device)
    except InvalidIdentifier as exc:
        raise typer.BadParameter(str(exc)) from None
    database = open_db(db)
    secret = new_secret()
    try:
        username, password = add_device_account(database, site, device)
    except AccountExists as exc:
        typer.echo(f"device {site}/{device} is already provisioned ({exc})", err=True)
        raise typer.Exit(1) from None
    try:
        database.add_device(site, device, secret)
    except IntegrityError:
        remove_account(database, username)
        typer.echo(f"device {site}/{device} is already provisioned", err=True)
        raise typer.Exit(1) from None
    path = out or Path(f"{site}-{device}.yaml")
    config = starter_config(site, device, secret, broker_url, username, password, ca_file)
    write_config(path, config)
    typer.echo(f"provisioned {site}/{device}; gate config written to {path} (contains the secret)")


devices_app.command("broker-files")(broker_files_cmd)
devices_app.command("service-account")(service_account_cmd)


@devices_app.command("list")
def devices_list(db: DbOpt = "sitegate-central.db") -> None:
    """Provisioned devices and their last reported status."""
    for d in open_db(db).list_devices():
        status = d["status"] if isinstance(d["status"], dict) else {}
        typer.echo(f"{d['site']}/{d['device']}\t{status.get('state', 'never seen')}")
