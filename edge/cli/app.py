"""``sitegate-edge``: run the gate, and the installer's maintenance commands."""

import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from edge.cli.faces import add_card_cmd, calibrate_cmd, enroll_cmd, identify_cmd
from edge.cli.sensor import sensor_app
from edge.cli.template import template_cmd

app = typer.Typer(help="sitegate gate device.", no_args_is_help=True)
app.command("identify")(identify_cmd)
app.command("enroll")(enroll_cmd)
app.command("calibrate")(calibrate_cmd)
app.command("add-card")(add_card_cmd)
app.command("template")(template_cmd)
app.add_typer(sensor_app, name="sensor")

ConfigArg = Annotated[Path, typer.Option("--config", "-c", help="gate config YAML")]


def _load(path: Path):  # type: ignore[no-untyped-def]
    from firmware_config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"{exc.path}: {problem}", err=True)
        raise typer.Exit(2) from None


@app.command()
def run(config: ConfigArg, verbose: bool = False) -> None:
    """Run the gate: cameras → recognition → outbox → MQTT. SIGINT/SIGTERM stop it cleanly."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from edge.device import GateDevice

    device = GateDevice(_load(config))

    def _stop(_sig: int, _frame: object) -> None:
        device.stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    device.start()
    device.wait()
    device.stop()


@app.command("validate-config")
def validate_config(file: Annotated[Path, typer.Argument(help="gate config YAML")]) -> None:
    """Check a config file; errors name their line, key and reason (exit 2)."""
    cfg = _load(file)
    typer.echo(f"{file}: ok ({cfg.site}/{cfg.device}, {len(cfg.cameras)} camera(s))")
