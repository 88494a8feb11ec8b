"""Window means, quality flags, alarms with hysteresis, the mist cannon, and the monitor."""

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from central.provisioning.gate_file import new_secret, starter_config
from conftest import wait_until
from edge.dust.alarms import AlarmEngine
from edge.dust.clock import ManualClock
from edge.dust.monitor import DustMonitor
from edge.dust.relay import FileRelay, LogRelay, MistCannon
from edge.dust.samples import Sample
from edge.dust.simulator import Levels, SensorSimulator
from edge.dust.windows import WindowAverager, WindowMean
from edge.outbox import Outbox
from firmware_config import ConfigError, load_config
from firmware_config.dust import AlarmConfig, DustConfig
from firmware_config.dust_profiles import PROFILES, Rule, get_profile

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=SHANGHAI)


def feed(avg: WindowAverager, start: datetime, seconds: int, **values: float) -> list[WindowMean]:
    closed = []
    for i in range(seconds):
        closed += avg.add(start + timedelta(seconds=i), Sample(**values))
    return closed


def test_windows_align_to_the_site_clock_and_flag_missing_data() -> None:
    avg = WindowAverager(1.0, completeness=0.75, humidity_limit=70)
    start = T0 + timedelta(minutes=14, seconds=0)
    closed = feed(avg, start, 60, pm2_5=10, pm10=20, humidity=50)
    closed += feed(avg, start + timedelta(minutes=1), 30, pm2_5=40, pm10=80, humidity=75)
    closed += avg.close_due(start + timedelta(minutes=3, seconds=1))
    minutes = [m for m in closed if m.window == "1min"]
    assert [(m.start.strftime("%H:%M"), m.samples, m.flags) for m in minutes] == [
        ("10:14", 60, ()),
        ("10:15", 30, ("incomplete", "humidity_high")),
        ("10:16", 0, ("no_data",)),
    ]
    assert minutes[0].means == {"pm2_5": 10.0, "pm10": 20.0, "humidity": 50.0}
    assert (minutes[1].mins["pm10"], minutes[1].maxs["pm10"]) == (80.0, 80.0)
    assert minutes[2].means == {} and not minutes[2].valid
    quarter = [m for m in closed if m.window == "15min"]
    assert [(m.start.strftime("%H:%M"), m.end.strftime("%H:%M"), m.samples) for m in quarter] == [
        ("10:00", "10:15", 60)
    ]  # the gate started at 10:14: the quarter holds one minute of data
    assert quarter[0].expected == 900 and quarter[0].flags == ("incomplete",)
    assert minutes[0].start.utcoffset() == timedelta(hours=8)


def test_warmup_samples_are_discarded_and_flagged() -> None:
    avg = WindowAverager(1.0)
    avg.start(T0, warmup_s=30)
    feed(avg, T0, 30, pm10=999)  # the fan spinning up: nonsense
    closed = feed(avg, T0 + timedelta(seconds=30), 31, pm10=50)
    (minute,) = [m for m in closed if m.window == "1min"]
    assert minute.means["pm10"] == 50.0 and minute.samples == 30
    assert minute.flags == ("incomplete", "warmup")


def mean(window: str, end: datetime, pm10: float | None, valid: bool = True) -> WindowMean:
    seconds = {"1min": 60, "15min": 900, "1h": 3600}[window]
    return WindowMean(
        window=window,
        start=end - timedelta(seconds=seconds),
        end=end,
        means={} if pm10 is None else {"pm10": pm10},
        mins={},
        maxs={},
        samples=60 if valid else 10,
        expected=60,
        flags=() if valid else ("incomplete",),
    )


def test_alarm_raises_once_after_min_duration_clears_once_and_never_flaps() -> None:
    profile = get_profile("gb3095-2012").with_overrides((Rule("pm10", "1min", 100.0),))
    engine = AlarmEngine(profile, AlarmConfig(hysteresis=0.2, raise_after_s=180, clear_after_s=120))
    relay = LogRelay()
    cannon = MistCannon(relay, min_run_s=600)
    levels = [
        *[95, 104, 97, 103, 99, 101, 98],  # noise around the limit: never 3 minutes above
        *[150, 160, 170, 180],  # 3 minutes above → raised at the third
        *[95, 85, 101, 90, 84],  # between clear level (80) and limit: still raised
        *[70, 65, 60, 55],  # 2 minutes below 80 → cleared at the second
        *[79, 85, 79, 85],  # noise around the clear level after clearing: nothing
    ]
    events = []
    relay_at: list[tuple[int, bool]] = []
    for i, level in enumerate(levels, start=1):
        at = T0 + timedelta(minutes=i)
        events += [(i, e) for e in engine.observe(mean("1min", at, level))]
        before = cannon.on
        cannon.update(engine.active, at)
        if cannon.on != before:
            relay_at.append((i, cannon.on))
    assert [(i, e.state, e.value) for i, e in events] == [
        (10, "raised", 170.0),
        (18, "cleared", 65.0),
    ]
    raised = events[0][1]
    assert (raised.limit, raised.window, raised.profile) == (100.0, "1min", "gb3095-2012")
    assert raised.exceedances_today == 6 and raised.allowed_per_day is None  # 104, 103, 101, 150…
    # On with the alarm; off only once 10 minutes have run (cleared at 18, on since 10 → 20).
    assert relay_at == [(10, True), (20, False)]
    assert relay.changes == [True, False]


def test_invalid_windows_neither_raise_nor_clear() -> None:
    engine = AlarmEngine(PROFILES["hebei-db13-2934-2019"])
    end = T0 + timedelta(hours=1)
    assert engine.observe(mean("1h", end, 500, valid=False)) == []
    (raised,) = engine.observe(mean("1h", end + timedelta(hours=1), 120))
    assert engine.observe(mean("1h", end + timedelta(hours=2), None, valid=False)) == []
    assert engine.active and raised.state == "raised"


def test_hebei_counts_exceedances_per_local_day() -> None:
    engine = AlarmEngine(PROFILES["hebei-db13-2934-2019"], AlarmConfig(hysteresis=0.1))
    day = datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI)
    events = []
    for hour, level in enumerate([90, 50, 95, 40, 100, 30], start=1):
        events += engine.observe(mean("1h", day + timedelta(hours=hour), level))
    raised = [e for e in events if e.state == "raised"]
    assert [(e.exceedances_today, e.allowed_per_day) for e in raised] == [(1, 2), (2, 2), (3, 2)]
    next_day = engine.observe(mean("1h", day + timedelta(days=1, hours=1), 85))
    assert [(e.state, e.exceedances_today) for e in next_day] == [("raised", 1)]  # a new day
    assert engine.exceedances_today() == {"pm10/1h": 1}


def test_national_24h_rule_needs_twenty_hourly_means() -> None:
    engine = AlarmEngine(PROFILES["gb3095-2012"])
    events = []
    for hour in range(1, 21):
        events += engine.observe(mean("1h", T0 + timedelta(hours=hour), 160))
    assert [(e.window, e.state, e.value) for e in events] == [("24h", "raised", 160.0)]


def test_profiles_carry_their_sources() -> None:
    assert set(PROFILES) >= {"gb3095-2012", "shanghai-db31-964-2016", "hebei-db13-2934-2019"}
    assert PROFILES["gb3095-2012"].rules[0] == Rule("pm10", "24h", 150.0)
    assert Rule("pm10", "1h", 80.0, 2) in PROFILES["hebei-db13-2934-2019"].rules
    assert PROFILES["shanghai-db31-964-2016"].rules[0].window == "15min"
    assert all(p.source for p in PROFILES.values())


def test_file_relay_writes_the_gpio_value(tmp_path: Path) -> None:
    value = tmp_path / "value"
    cannon = MistCannon(FileRelay(value), min_run_s=0)
    cannon.update(True, T0)
    assert value.read_text() == "1\n"
    cannon.update(False, T0)
    assert value.read_text() == "0\n"


def gate_yaml(tmp_path: Path, dust: dict[str, object]) -> Path:
    config = starter_config("site-d", "gate-d", new_secret(), "mqtt://127.0.0.1:1")
    config["dust"] = dust
    path = tmp_path / "gate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_gate_config_dust_section_validates_with_line_numbers(tmp_path: Path) -> None:
    good = {
        "sensor": {"driver": "modbus", "port": "/dev/ttyUSB1", "unit_id": 3},
        "profile": "hebei-db13-2934-2019",
        "overrides": [{"pollutant": "pm10", "window": "15min", "limit": 120}],
        "relay": {"type": "gpio_file", "path": "/sys/class/gpio/gpio17/value", "min_run_s": 600},
        "hj212": [
            {"name": "city", "host": "127.0.0.1", "port": 9000, "edition": "2017",
             "mn": "SG0001", "password": "123456"},
        ],
    }  # fmt: skip
    cfg = load_config(gate_yaml(tmp_path, good)).dust
    assert cfg is not None and cfg.sensor.driver == "modbus" and cfg.hj212[0].edition == "2017"
    bad = {"sensor": {"driver": "sds012", "port": "/dev/ttyUSB0"}, "profile": "atlantis"}
    with pytest.raises(ConfigError) as err:
        load_config(gate_yaml(tmp_path, bad))
    text = "\n".join(err.value.problems)
    assert "dust.sensor" in text and "sds012" in text
    assert "dust.profile" in text and "unknown profile 'atlantis'" in text
    assert all(p.startswith("line ") for p in err.value.problems)


def outbox_bodies(path: Path, kind: str) -> list[dict[str, object]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT payload FROM outbox WHERE kind = ? ORDER BY seq", [kind])
        return [json.loads(r[0])["body"] for r in rows]


def test_monitor_through_a_pty_marks_a_silent_sensor(tmp_path: Path) -> None:
    sim = SensorSimulator("sds011", Levels(pm2_5=30.0, pm10=60.0))
    cfg = DustConfig.model_validate(
        {"sensor": {"driver": "sds011", "port": sim.port}, "warmup_s": 0, "silent_after_s": 5}
    )
    outbox = Outbox(tmp_path / "outbox.db", "site-d", "gate-d", b"k" * 16, SHANGHAI)
    clock = ManualClock(T0 + timedelta(seconds=0.5))
    monitor = DustMonitor(cfg, outbox, SHANGHAI, clock=clock)
    monitor.start()
    try:
        wait_until(lambda: monitor.port_error is None and monitor.averager.warmup_until, 5, "open")
        sim.emit(60)
        wait_until(lambda: monitor.stats.samples == 60, 10, "60 samples through the pty")
        assert monitor.state() == "ok"
        clock.advance(seconds=60)  # 10:01:00.5: the first minute is over; the sensor is silent
        wait_until(lambda: len(outbox_bodies(tmp_path / "outbox.db", "dust_reading")) == 1, 5)
        clock.advance(seconds=60)
        wait_until(lambda: len(outbox_bodies(tmp_path / "outbox.db", "dust_reading")) == 2, 5)
        first, second = outbox_bodies(tmp_path / "outbox.db", "dust_reading")
        assert (first["pm2_5"], first["pm10"], first["samples"], first["flags"]) == (
            30.0, 60.0, 60, []
        )  # fmt: skip
        assert first["window_start"] == "2026-03-02T10:00:00+08:00"
        assert (second["samples"], second["flags"], second["pm10"]) == (0, ["no_data"], None)
        assert monitor.state() == "silent"
        assert monitor.health() == {"dust0": "silent", "dust0.bad_frames": "0"}
    finally:
        monitor.stop()
        sim.close()
        outbox.close()


def test_status_reports_the_mist_cannon(tmp_path: Path) -> None:
    """Supervisors see the mist cannon's state in the gate's heartbeat (status ``sensors``)."""
    cfg = DustConfig.model_validate({"sensor": {"driver": "sds011", "port": "/dev/null"}})
    outbox = Outbox(tmp_path / "outbox.db", "site-d", "gate-d", b"k" * 16, SHANGHAI)
    try:
        plain = DustMonitor(cfg, outbox, SHANGHAI, clock=ManualClock(T0))
        assert "dust0.mist" not in plain.health()  # no relay: nothing to report
        relay = LogRelay()
        monitor = DustMonitor(cfg, outbox, SHANGHAI, clock=ManualClock(T0), relay=relay)
        assert monitor.health()["dust0.mist"] == "off"
        assert monitor.cannon is not None
        monitor.cannon.update(True, T0)
        assert monitor.health()["dust0.mist"] == "on" and relay.changes == [True]
    finally:
        outbox.close()
