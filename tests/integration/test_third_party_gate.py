"""A third-party gate written from docs/protocol.md alone: bash, openssl and mosquitto clients.

``docs/gate-recipe.sh`` is the spec's shell recipe. It runs here against a real Mosquitto and
a real central, so the specification cannot drift from what central accepts. The examples in
the document (events, acks, sync reports, commands with their sealed gallery, the QR token)
are checked against the real models, signatures and keys for the same reason.
"""

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import wait_until
from wireproto import canonical_bytes, decode_ack, decode_event
from wireproto.commands import (
    ConfigPush,
    GalleryChanges,
    GalleryUpdate,
    SyncReport,
    decode_signed,
    open_changes,
)
from wireproto.qr import QrClaims, load_public_key, verify_token
from wireproto.topics import ack_topic, gate_client_id

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "docs" / "gate-recipe.sh"
SPEC = ROOT / "docs" / "protocol.md"
TOOLS = ("bash", "openssl", "mosquitto_pub", "mosquitto_sub")
COMMANDS = {"sync": SyncReport, "config": ConfigPush, "gallery": GalleryUpdate}


def require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"the gate recipe needs {', '.join(missing)}, not installed here")


def run_recipe(
    broker_url: str, site: str, device: str, secret_hex: str, worker: str, **env: str
) -> subprocess.CompletedProcess[str]:
    url = urlsplit(broker_url)
    args = [str(RECIPE), url.hostname or "", str(url.port or 1883), site, device, secret_hex]
    return subprocess.run(
        ["bash", *args, worker],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, **env},
    )


def lines(stdout: str, tag: str) -> list[str]:
    """The payloads of the recipe's ``<tag> <payload>`` output lines."""
    return [line.split(" ", 1)[1] for line in stdout.splitlines() if line.startswith(f"{tag} ")]


def gate_secret(config: Path) -> str:
    return str(yaml.safe_load(config.read_text())["secret"])


def test_recipe_event_is_stored_once_and_a_resend_is_a_duplicate(central, broker_url) -> None:  # type: ignore[no-untyped-def]
    require_tools()
    site, device, worker = "pudong-03", "gate-recipe-1", "W-recipe.0001"
    secret = gate_secret(central.provision(site, device, broker_url))
    central.start()

    run = run_recipe(broker_url, site, device, secret, worker, ACK_WAIT="30")

    assert run.returncode == 0, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    [sent] = lines(run.stdout, "event")
    event_id = json.loads(sent)["id"]
    [ack] = lines(run.stdout, "ack")
    assert {"id": event_id, "result": "stored", "reason": None} in json.loads(ack)["acks"]
    assert f"result {event_id} stored" in run.stdout.splitlines()
    rows = central.get("/api/v1/attendance", site=site)
    assert [(r["event_id"], r["worker_id"], r["direction"]) for r in rows] == [
        (event_id, worker, "in")
    ]
    assert rows[0]["local_date"] == json.loads(sent)["body"]["captured_at"][:10]

    # A gate that saw no ack resends the same bytes: central acks "duplicate", stores nothing.
    url = urlsplit(broker_url)
    mqtt = ["-h", url.hostname or "", "-p", str(url.port), "-q", "1"]
    topic = f"sitegate/v1/{site}/{device}/events/attendance"
    subprocess.run(["mosquitto_pub", *mqtt, "-t", topic, "-m", sent], check=True, timeout=30)
    again = subprocess.run(
        ["mosquitto_sub", *mqtt, "-c", "-i", gate_client_id(site, device),
         "-t", ack_topic(site, device), "-C", "1", "-W", "30"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    verdicts = decode_ack(again.stdout.strip().encode(), bytes.fromhex(secret)).acks
    assert [(a.id, a.result) for a in verdicts] == [(event_id, "duplicate")]
    assert len(central.get("/api/v1/attendance", site=site, worker_id=worker)) == 1


def test_recipe_with_a_wrong_secret_is_dead_lettered_and_never_acked(central, broker_url) -> None:  # type: ignore[no-untyped-def]
    require_tools()
    site, device, worker = "pudong-03", "gate-recipe-2", "W-recipe.0002"
    central.provision(site, device, broker_url)
    central.start()

    run = run_recipe(broker_url, site, device, secrets.token_hex(32), worker, ACK_WAIT="3")

    assert run.returncode == 2, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert lines(run.stdout, "ack") == []
    topic = f"sitegate/v1/{site}/{device}/events/attendance"
    dead = wait_until(
        lambda: [d for d in central.get("/api/v1/dead-letters", reason="bad_signature")
                 if d["topic"] == topic],
        30,
        "the forged event in the dead letters",
    )  # fmt: skip
    assert len(dead) == 1
    assert central.get("/api/v1/attendance", site=site) == []


def test_spec_contains_the_recipe_verbatim() -> None:
    assert RECIPE.read_text() in SPEC.read_text(), "docs/protocol.md §11 differs from the script"


def test_every_json_example_in_the_spec_is_valid_and_correctly_signed() -> None:
    """Signed examples decode and verify; unsigned ones are canonical; acks verify.

    Sync reports and commands verify with ``decode_signed``; the sealed gallery example opens
    to the plaintext block shown, which is the gallery update's one unsigned, non-canonical
    block (its bytes are what was sealed).
    """
    text = SPEC.read_text()
    secret = bytes.fromhex(re.search(r"SECRET=([0-9a-f]{64})", text).group(1))  # type: ignore[union-attr]
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 6
    kinds: set[str] = set()
    commands: dict[str, object] = {}
    plaintexts: list[str] = []
    for block in blocks:
        obj = json.loads(block)
        if "sig" not in obj:
            if {"upserts", "removals"} & obj.keys():  # sealed inside a gallery update
                GalleryChanges.model_validate_json(block)
                plaintexts.append(block.strip())
            else:
                assert block.strip() == canonical_bytes(obj).decode(), "not in canonical form"
        elif "acks" in obj:
            decode_ack(block.encode(), secret)
        elif obj.get("kind") in COMMANDS:
            commands[obj["kind"]] = decode_signed(block.encode(), COMMANDS[obj["kind"]], secret)
        else:
            env = decode_event(block.encode(), lambda _s, _d: secret, obj["site"], obj["device"])
            kinds.add(env.kind)
    assert kinds == {"attendance", "dust_reading", "dust_alarm", "status"}
    assert commands.keys() == COMMANDS.keys()
    update = commands["gallery"]
    assert isinstance(update, GalleryUpdate)
    [plaintext] = plaintexts
    assert open_changes(update, secret) == GalleryChanges.model_validate_json(plaintext)


def test_the_gallery_sealing_in_the_spec_reproduces_its_example() -> None:
    """Key, nonce and associated data as section 12.5 describes them, from primitives only."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    text = SPEC.read_text()
    secret = bytes.fromhex(re.search(r"SECRET=([0-9a-f]{64})", text).group(1))  # type: ignore[union-attr]
    stated = re.search(r"GALLERY_KEY=([0-9a-f]{64})", text).group(1)  # type: ignore[union-attr]
    key = HKDF(hashes.SHA256(), 32, salt=None, info=b"sitegate v1 gallery").derive(secret)
    assert key.hex() == stated
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)]
    [update] = [b for b in blocks if b.get("kind") == "gallery"]
    [plaintext] = re.findall(r"```json\n(\{\"upserts\".*?)\n```", text, flags=re.DOTALL)
    raw = base64.b64decode(update["sealed"], validate=True)
    aad = f"{update['site']}/{update['device']}/{update['from_version']}/{update['to_version']}"
    nonce = raw[:12]
    assert raw[12:] == AESGCM(key).encrypt(nonce, plaintext.encode(), aad.encode())


def test_the_qr_token_example_in_the_spec_verifies() -> None:
    text = SPEC.read_text()
    public = re.search(r"QR_PUBLIC_KEY=(ed25519:[A-Za-z0-9_-]{43})\n", text).group(1)  # type: ignore[union-attr]
    token = re.search(r"QR_TOKEN=(SGQ1\.\S+)\n", text).group(1)  # type: ignore[union-attr]
    claims_text = token.split(".")[1]
    claims = QrClaims.model_validate_json(base64.urlsafe_b64decode(claims_text + "=="))
    at = datetime.fromtimestamp(claims.iat, UTC)
    assert verify_token(token, load_public_key(public), claims.site, now=at) == claims
    assert canonical_bytes(claims.model_dump()).decode() in text  # the decoded claims shown
