"""A card registered at central opens a real gate through its card reader; removed, it does not.

``sitegate-central serve`` and ``sitegate-edge run`` over a private Mosquitto; the gate's card
reader is a pseudo-terminal the test types card numbers into, as a USB reader would. The
card number never appears in either process's log, the gate's gallery file or central's
database.
"""

import os
import shutil
import sqlite3
import tty
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from factories import registered_project

from central.registry.sealing import Sealer, key_path_for
from central.storage import Database
from central.wages.rules import PayTerms
from conftest import FACES, Central, Mosquitto, Process, have_mosquitto, wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="needs the mosquitto binary")

SITE, DEVICE, WORKER = "site-c", "gate-1", "W-CARD"
CARD = "04 7F 21 AA 9C 31 80"
CARD_PLAIN = CARD.replace(" ", "")


def synced_version(gallery: Path) -> int:
    if not gallery.exists():
        return 0
    with sqlite3.connect(f"file:{gallery}?mode=ro", uri=True, timeout=10) as conn:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'synced_version'").fetchone()
        except sqlite3.OperationalError:
            return 0
    return int(row[0]) if row else 0


@pytest.fixture
def reader() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_central_card_opens_the_gate_until_removed(tmp_path: Path, reader: tuple[int, str]) -> None:
    master, port = reader
    broker = Mosquitto(tmp_path)
    broker.start()
    central = Central(tmp_path, broker.url)
    gate: Process | None = None
    try:
        config = central.provision(SITE, DEVICE, broker.url)
        db = Database(central.db)
        registered_project(
            db,
            Sealer.from_file(key_path_for(central.db)),
            SITE,
            {WORKER: PayTerms(pay_kind="daily", rate_fen=36000)},
            gates=(),
        )
        db.close()
        camera = tmp_path / "camera"
        camera.mkdir()
        shutil.copy(FACES / "_probes" / "no_face" / "coffee.jpg", camera / "0.jpg")
        gallery = tmp_path / "gallery.db"
        data = yaml.safe_load(config.read_text())
        data.update(
            cameras=[
                {
                    "name": "east",
                    "direction": "in",
                    "source": {"type": "folder", "path": str(camera), "interval_ms": 0},
                }
            ],
            card_reader={"port": port, "direction": "in"},
            gallery=str(gallery),
            outbox=str(tmp_path / "outbox.db"),
            state=str(tmp_path / "state.db"),
            status_interval_s=1,
            resend_after_s=1,
        )
        config.write_text(yaml.safe_dump(data))
        central.start()
        gate = Process(["sitegate-edge", "run", "--config", str(config)], tmp_path / "gate.log")
        wait_until(lambda: "card reader on" in gate.output(), 30, "the gate's card reader")

        def api(method: str, path: str, **kw: object) -> httpx.Response:
            url = f"{central.base}/api/v1{path}"
            return httpx.request(method, url, headers=central.headers, timeout=10, **kw)  # type: ignore[arg-type]

        def card_check_ins() -> list[str]:
            rows = central.get("/api/v1/attendance", site=SITE)
            return [r["worker_id"] for r in rows if r["method"] == "card"]  # type: ignore[union-attr]

        # Registered at central: the gate syncs it and admits the worker by card.
        resp = api("POST", f"/workers/{WORKER}/cards", json={"number": CARD, "kind": "nfc"})
        assert resp.status_code == 201, resp.text
        version = resp.json()["sites"][SITE]
        wait_until(lambda: synced_version(gallery) >= version, 30, "the card at the gate")
        os.write(master, CARD.encode() + b"\r\n")  # printed with spaces, as some readers do
        wait_until(card_check_ins, 30, "the card check-in at central")
        assert card_check_ins() == [WORKER]

        # Removed at central: after the next sync the same card is refused.
        card_id = resp.json()["card"]["id"]
        resp = api("DELETE", f"/workers/{WORKER}/cards/{card_id}")
        assert resp.status_code == 200, resp.text
        version = resp.json()["sites"][SITE]
        wait_until(lambda: synced_version(gallery) >= version, 30, "the removal at the gate")
        os.write(master, CARD_PLAIN.encode() + b"\r\n")
        wait_until(lambda: "refused" in gate.output(), 30, "the gate to refuse the card")
        assert card_check_ins() == [WORKER]
        assert "**********3180 refused" in gate.output()  # the log shows the masked card only
    finally:
        if gate is not None:
            assert gate.stop() == 0, gate.output()
        central.stop()
        broker.stop()
    logs = gate.output() + (central.process.output() if central.process else "")
    assert CARD_PLAIN not in logs and CARD not in logs
    for path in tmp_path.glob("*.db*"):
        assert CARD_PLAIN.encode() not in path.read_bytes(), path
