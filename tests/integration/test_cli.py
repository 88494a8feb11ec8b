"""Every command is reachable and documented; bad config files name line and reason."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from central.cli.app import app as central_app
from central.provisioning.gate_file import new_secret, starter_config, write_config
from edge.cli.app import app as edge_app
from firmware_config import ConfigError, load_config

runner = CliRunner()


@pytest.mark.parametrize(
    ("app", "commands"),
    [
        (edge_app, {"run", "identify", "enroll", "validate-config"}),
        (central_app, {"serve", "db", "devices"}),
    ],
)
def test_help_lists_every_command_with_text(app, commands: set[str]) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = set(re.findall(r"│ ([a-z][a-z-]+) +\S", result.output))
    assert commands <= listed, result.output
    for command in commands:
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0 and "Usage" in sub.output


def good_config(tmp_path: Path) -> Path:
    path = tmp_path / "gate.yaml"
    write_config(path, starter_config("site-1", "gate-1", new_secret(), "mqtt://127.0.0.1:1883"))
    return path


def test_provisioned_config_validates_and_resolves_paths(tmp_path: Path) -> None:
    path = good_config(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    config = load_config(path)
    assert config.gallery == tmp_path / "gallery.db"
    assert config.secret.get_secret_value() not in repr(config)  # never printed by accident
    result = runner.invoke(edge_app, ["validate-config", str(path)])
    assert result.exit_code == 0 and "ok" in result.output


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (lambda t: t.replace("timezone: Asia/Shanghai", "timezone: Mars/Base"), 5, "time zone"),
        (lambda t: t.replace("index: 0", "index: -1"), 13, "cameras.0.source.usb.index"),
        (lambda t: t.replace("outbox: outbox.db", "outbox: outbox.db\ncolour: red"), 16, "colour"),
        (lambda t: t.replace("  url: mqtt:", "  url: http:"), 7, "broker.url"),
        (lambda t: t.replace("direction: in", "direction: [in"), 11, "invalid YAML"),
    ],
)
def test_bad_config_names_line_and_reason(edit, line: int, message: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = good_config(tmp_path)
    path.write_text(edit(path.read_text()))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert any(p.startswith(f"line {line}:") and message in p for p in err.value.problems), (
        err.value.problems
    )
    result = runner.invoke(edge_app, ["validate-config", str(path)])
    assert result.exit_code == 2
