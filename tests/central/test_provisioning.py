"""Device identity files: Mosquitto password hashes and ACLs, the gate config schema, examples."""

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from central.provisioning.accounts import Account
from central.provisioning.mosquitto import acl_file, password_file
from central.provisioning.passwords import BadPasswordHash, check_password, mosquitto_hash
from edge.cli.app import app as edge_app
from firmware_config import load_config
from firmware_config.schema import SCHEMA_PATH, schema_text

EXAMPLES = Path(__file__).parents[2] / "firmware_config" / "examples"


def test_password_hashes_are_mosquittos_own_format(tmp_path: Path) -> None:
    hashed = mosquitto_hash("s3cret-pass")
    assert hashed.startswith("$7$10000$") and check_password("s3cret-pass", hashed)
    assert not check_password("s3cret-pasS", hashed)
    with pytest.raises(BadPasswordHash):
        check_password("x", "$6$rounds$salt$hash")
    exe = shutil.which("mosquitto_passwd")
    if exe is None:
        pytest.skip("mosquitto_passwd not installed for the cross-check")
    # A hash written by mosquitto_passwd itself verifies here, and the same fields agree.
    passwd = tmp_path / "passwd"
    subprocess.run([exe, "-c", "-b", str(passwd), "gate", "from-mosquitto"], check=True)
    theirs = passwd.read_text().strip().split(":", 1)[1]
    assert check_password("from-mosquitto", theirs)
    _, _, iterations, salt, _ = theirs.split("$")
    ours = mosquitto_hash("from-mosquitto", base64.b64decode(salt), int(iterations))
    assert ours == theirs


def test_acl_confines_each_device_and_password_file_holds_only_hashes() -> None:
    accounts = [
        Account("central", mosquitto_hash("pw-central"), "service"),
        Account("site-a.gate-1", mosquitto_hash("pw-gate"), "device", "site-a", "gate-1"),
    ]
    acl = acl_file(accounts)
    block = acl.split("user site-a.gate-1\n", 1)[1].splitlines()
    assert block == [
        "topic write sitegate/v1/site-a/gate-1/events/+",
        "topic write sitegate/v1/site-a/gate-1/status",
        "topic write sitegate/v1/site-a/gate-1/sync",
        "topic read sitegate/v1/site-a/gate-1/ack",
        "topic read sitegate/v1/site-a/gate-1/cmd/+",
    ]
    assert "user central\ntopic readwrite sitegate/v1/#" in acl
    text = password_file(accounts)
    assert "pw-gate" not in text and "pw-central" not in text
    assert [line.split(":")[0] for line in text.splitlines()] == ["central", "site-a.gate-1"]


def test_committed_json_schema_is_generated_from_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "firmware_config/gate-config.schema.json is stale: run python -m firmware_config.schema"
    )


@pytest.mark.parametrize("name", ["one-camera.yaml", "two-camera-dust.yaml"])
def test_example_configs_validate(name: str) -> None:
    config = load_config(EXAMPLES / name)
    result = CliRunner().invoke(edge_app, ["validate-config", str(EXAMPLES / name)])
    assert result.exit_code == 0, result.output
    if name == "two-camera-dust.yaml":
        assert [c.direction for c in config.cameras] == ["in", "out"]
        assert config.dust is not None
