"""``sitegate-edge sensor read``: the installer's check that a dust sensor is wired right.

It opens the port with the same driver the gate uses and prints each decoded reading (one
JSON object per line with ``--json``), then the count of bad frames: readings with few bad
frames mean the sensor works; no readings, or many bad frames, mean wrong port, wrong baud
rate, swapped RS485 A/B lines or a wrong Modbus address. Exit 1 when fewer than ``--count``
readings arrive within ``--timeout`` seconds.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

sensor_app = typer.Typer(help="Dust sensor checks for installers.", no_args_is_help=True)


def _sensor_config(driver: str, port: str, baud: int, unit_id: int, registers: Path | None):  # type: ignore[no-untyped-def]
    import yaml
    from pydantic import TypeAdapter, ValidationError

    from firmware_config.dust import DustSensor

    raw: dict[str, object] = {"driver": driver, "port": port, "baud": baud}
    if driver == "modbus":
        raw["unit_id"] = unit_id
        if registers is not None:
            raw["registers"] = yaml.safe_load(registers.read_text(encoding="utf-8"))
    try:
        return TypeAdapter(DustSensor).validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        typer.echo(f"error: {where}: {first['msg']}", err=True)
        raise typer.Exit(2) from None


@sensor_app.command("read")
def read_cmd(
    driver: Annotated[Literal["sds011", "pms5003", "modbus"], typer.Option(help="sensor protocol")],
    port: Annotated[str, typer.Option(help="serial port, e.g. /dev/ttyUSB0")],
    count: Annotated[int, typer.Option(min=1, help="stop after this many readings")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    baud: Annotated[int, typer.Option(help="line speed")] = 9600,
    timeout: Annotated[float, typer.Option(min=0.1, help="give up after this many seconds")] = 30,
    interval: Annotated[float, typer.Option(min=0.05, help="Modbus poll period, seconds")] = 1.0,
    unit_id: Annotated[int, typer.Option(min=1, max=247, help="Modbus device address")] = 1,
    registers: Annotated[
        Path | None, typer.Option(help="YAML register map for Modbus (quantity → register)")
    ] = None,
) -> None:
    """Print decoded readings from a dust sensor and the count of bad frames."""
    from edge.dust.sensors import open_sensor

    sensor = open_sensor(_sensor_config(driver, port, baud, unit_id, registers), interval)
    try:
        sensor.open()
    except OSError as exc:
        typer.echo(f"error: cannot open {port}: {exc}", err=True)
        raise typer.Exit(1) from None
    got = 0
    deadline = time.monotonic() + timeout
    try:
        while got < count and time.monotonic() < deadline:
            for sample in sensor.poll(min(0.5, max(deadline - time.monotonic(), 0.01))):
                got += 1
                at = datetime.now().astimezone().isoformat(timespec="seconds")
                if as_json:
                    typer.echo(json.dumps({"at": at, **sample.as_dict()}))
                else:
                    values = "  ".join(
                        f"{k}={v}" for k, v in sample.as_dict().items() if k != "counts_per_0_1l"
                    )
                    typer.echo(f"{at}  {values}")
                if got >= count:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        sensor.close()
    stats = sensor.stats
    summary = (
        f"{got} reading(s), {stats.bad_frames} bad frame(s), {stats.skipped_bytes} byte(s) skipped"
    )
    typer.echo(summary, err=as_json)
    if got < count:
        typer.echo(f"error: only {got} of {count} readings within {timeout:g}s", err=True)
        raise typer.Exit(1)
