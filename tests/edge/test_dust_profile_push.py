"""Central pushes another dust limit profile: the gate validates it against what it ships,
judges the next windows by it, keeps what still applies and clears what no longer can."""

from datetime import timedelta
from pathlib import Path

import pytest
from test_dust_windows_alarms import T0, gate_yaml, mean

from edge.dust.alarms import AlarmEngine
from edge.remote_config import ConfigRejected, overlay
from firmware_config import load_config
from firmware_config.dust import AlarmConfig
from firmware_config.dust_profiles import get_profile
from wireproto.commands import RemoteSettings

FAST = AlarmConfig(hysteresis=0.2, raise_after_s=0, clear_after_s=0)


def test_the_overlay_takes_a_shipped_profile_and_refuses_anything_else(tmp_path: Path) -> None:
    config = load_config(
        gate_yaml(tmp_path, {"sensor": {"driver": "sds011", "port": "/dev/ttyUSB0"}})
    )
    assert config.dust is not None and config.dust.profile == "gb3095-2012"
    pushed = overlay(config, RemoteSettings(dust_profile="hebei-db13-2934-2019"))
    assert pushed.dust is not None and pushed.dust.profile == "hebei-db13-2934-2019"
    assert config.dust.profile == "gb3095-2012"  # the file's config is not changed
    with pytest.raises(ConfigRejected, match=r"unknown profile 'made-up-1'"):
        overlay(config, RemoteSettings(dust_profile="made-up-1"))
    without = config.model_copy(update={"dust": None})
    with pytest.raises(ConfigRejected, match="no dust monitor"):
        overlay(without, RemoteSettings(dust_profile="hebei-db13-2934-2019"))


def test_a_raised_alarm_of_a_rule_the_new_profile_lacks_is_cleared_at_its_next_window() -> None:
    hebei = get_profile("hebei-db13-2934-2019")  # PM10 1 h mean, 80 µg/m³
    engine = AlarmEngine(hebei, FAST)
    (raised,) = engine.observe(mean("1h", T0, 120.0))
    assert (raised.state, raised.profile) == ("raised", "hebei-db13-2934-2019")
    engine.use_profile(get_profile("shanghai-db31-964-2016"))  # PM10 15 min, 2000
    assert engine.active  # still raised until something says otherwise
    (cleared,) = engine.observe(mean("1h", T0 + timedelta(hours=1), 120.0))
    assert (cleared.state, cleared.window, cleared.value) == ("cleared", "1h", 120.0)
    assert not engine.active
    # the new profile judges from now on: 15-minute means against 2000
    assert engine.observe(mean("15min", T0 + timedelta(hours=1, minutes=15), 150.0)) == []
    (again,) = engine.observe(mean("15min", T0 + timedelta(hours=1, minutes=30), 2500.0))
    assert (again.state, again.limit, again.profile) == ("raised", 2000.0, "shanghai-db31-964-2016")


def test_a_rule_kept_by_the_new_profile_keeps_its_alarm() -> None:
    engine = AlarmEngine(get_profile("hebei-db13-2934-2019"), FAST)
    assert [e.state for e in engine.observe(mean("1h", T0, 120.0))] == ["raised"]
    stricter = get_profile("hebei-db13-2934-2019")
    engine.use_profile(stricter)
    # same pollutant and window: no second "raised", and it clears under the limit
    assert engine.observe(mean("1h", T0 + timedelta(hours=1), 120.0)) == []
    assert [e.state for e in engine.observe(mean("1h", T0 + timedelta(hours=2), 20.0))] == [
        "cleared"
    ]


def test_the_monitor_switches_profile_and_keeps_its_site_overrides(tmp_path: Path) -> None:
    from test_dust_windows_alarms import SHANGHAI

    from edge.dust.clock import ManualClock
    from edge.dust.monitor import DustMonitor
    from edge.outbox import Outbox
    from firmware_config.dust import DustConfig

    cfg = DustConfig.model_validate(
        {
            "sensor": {"driver": "sds011", "port": "/dev/null"},
            "overrides": [{"pollutant": "pm10", "window": "15min", "limit": 120}],
        }
    )
    outbox = Outbox(tmp_path / "outbox.db", "site-d", "gate-d", b"k" * 16, SHANGHAI)
    try:
        monitor = DustMonitor(cfg, outbox, SHANGHAI, clock=ManualClock(T0))
        assert monitor.alarms.profile.name == "gb3095-2012"
        monitor.use_profile("hebei-db13-2934-2019")
        rules = {(r.pollutant, r.window, r.limit) for r in monitor.alarms.profile.rules}
        assert rules == {("pm10", "1h", 80.0), ("pm10", "15min", 120.0)}  # the site's override
    finally:
        outbox.close()
