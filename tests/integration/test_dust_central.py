"""Sensor on a pty → gate dust monitor → outbox → real Mosquitto → central → GET /api/v1/dust.

The gate runs in this process (so the test can drive its monitor's clock: an hour of windows
in a second), with its real outbox, uplink and config loader; central is a child process.
"""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from conftest import Central, wait_until
from edge.device import GateDevice
from edge.dust.clock import ManualClock
from edge.dust.relay import LogRelay
from edge.dust.simulator import Levels, SensorSimulator
from firmware_config import load_config

SITE, DEVICE = "site-dust", "gate-d1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, 0, 500_000, tzinfo=SHANGHAI)


def gate_config(central: Central, broker_url: str, tmp_path: Path, port: str) -> Path:
    path = central.provision(SITE, DEVICE, broker_url)
    config = yaml.safe_load(path.read_text())
    (tmp_path / "no-frames").mkdir()
    config["cameras"] = [
        {"name": "east", "source": {"type": "folder", "path": str(tmp_path / "no-frames")}}
    ]
    config["gallery"] = str(tmp_path / "gallery.db")
    config["outbox"] = str(tmp_path / "outbox.db")
    config["status_interval_s"] = 0.5
    config["dust"] = {
        "sensor": {"driver": "sds011", "port": port},
        "warmup_s": 0,
        "silent_after_s": 5,
        "publish": ["1min"],
        "profile": "gb3095-2012",
        "overrides": [{"pollutant": "pm10", "window": "1min", "limit": 100}],
        "relay": {"type": "log", "min_run_s": 90},
    }
    path.write_text(yaml.safe_dump(config))
    return path


def test_dust_readings_and_alarms_reach_central_and_are_served(
    central: Central, broker_url: str, tmp_path: Path
) -> None:
    sim = SensorSimulator("sds011", Levels(pm2_5=120.0, pm10=250.0))
    device = GateDevice(load_config(gate_config(central, broker_url, tmp_path, sim.port)))
    monitor = device.dust
    assert monitor is not None
    clock = ManualClock(T0)
    monitor.clock = clock
    central.start()
    device.start()
    try:
        wait_until(lambda: monitor.averager.warmup_until, 10, "the sensor port to open")
        # 10:00 — a dusty minute: one alarm, mist cannon on.
        sim.emit(60)
        wait_until(lambda: monitor.stats.samples == 60, 10, "the dusty minute")
        clock.advance(seconds=60)
        wait_until(lambda: monitor.cannon and monitor.cannon.on, 10, "the mist cannon on")
        # 10:01 — clean air again: the alarm clears, the cannon keeps its minimum run.
        sim.set_levels(pm2_5=10.0, pm10=20.0)
        sim.emit(60)
        wait_until(lambda: monitor.stats.samples == 120, 10, "the clean minute")
        clock.advance(seconds=60)
        wait_until(lambda: monitor.published == 2, 10, "the second reading")
        assert monitor.cannon.on  # cleared at 10:02:00.5, on since 10:01:00.5: 60 s < 90 s
        # 10:02 — the sensor falls silent; the cannon's minimum run has passed.
        clock.advance(seconds=60)
        wait_until(lambda: not monitor.cannon.on, 10, "the mist cannon off")
        assert isinstance(monitor.cannon.relay, LogRelay)
        assert monitor.cannon.relay.changes == [True, False]

        def served() -> dict:  # type: ignore[type-arg]
            data = central.get("/api/v1/dust", site=SITE, window="1min")
            return data if len(data["readings"]) == 3 and len(data["alarms"]) == 2 else {}

        data = wait_until(served, 30, "three readings and two alarms at central")
        readings = data["readings"]
        assert [(r["window_start"], r["pm10"], r["samples"], r["flags"]) for r in readings] == [
            ("2026-03-02T10:00:00+08:00", 250.0, 60, []),
            ("2026-03-02T10:01:00+08:00", 20.0, 60, []),
            ("2026-03-02T10:02:00+08:00", None, 0, ["no_data"]),
        ]
        assert readings[0]["pm2_5"] == 120.0 and readings[0]["expected_samples"] == 60
        assert {(r["device"], r["sensor"]) for r in readings} == {(DEVICE, "dust0")}
        alarms = data["alarms"]
        assert [(a["state"], a["pollutant"], a["value"], a["limit"], a["at"]) for a in alarms] == [
            ("raised", "pm10", 250.0, 100.0, "2026-03-02T10:01:00+08:00"),
            ("cleared", "pm10", 20.0, 100.0, "2026-03-02T10:02:00+08:00"),
        ]

        # A time range with offsets: [10:01, 10:02) Shanghai = [02:01, 02:02) UTC.
        part = central.get(
            "/api/v1/dust",
            site=SITE,
            window="1min",
            start="2026-03-02T02:01:00Z",
            end="2026-03-02T10:02:00+08:00",
        )
        assert [r["pm10"] for r in part["readings"]] == [20.0]  # type: ignore[index]
        assert [a["state"] for a in part["alarms"]] == ["raised"]  # type: ignore[index]
        assert central.get("/api/v1/dust", site=SITE, window="15min")["readings"] == []  # type: ignore[index]

        # The silent sensor shows in the device status central holds.
        def sensor_state() -> str | None:
            (dev,) = central.get("/api/v1/devices")  # type: ignore[misc]
            return (dev.get("status") or {}).get("sensors", {}).get("dust0")

        wait_until(lambda: sensor_state() == "silent", 20, "status: dust0 silent")
        wait_until(lambda: device.outbox.depth() == 0, 20, "every dust event acked")
        assert central.get("/api/v1/dead-letters") == []
        # the alarm entered the warnings queue on ingest and left it when the gate cleared it
        (warning,) = central.get("/api/v1/warnings", kind="dust_exceedance")  # type: ignore[misc]
        assert (warning["project_id"], warning["state"], warning["handled_by"]) == (
            SITE,
            "handled",
            "system",
        )
        assert warning["evidence"]["at"] == "2026-03-02T10:01:00+08:00"
    finally:
        device.stop()
        sim.close()
    assert central.stop() == 0
