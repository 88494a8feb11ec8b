"""A real gate with a card reader, wired to a served central over a private Mosquitto.

``sitegate-central serve`` and ``sitegate-edge run`` as separate processes; the gate's card
reader is a pseudo-terminal (the ``reader`` fixture) the test types card numbers into, as a
USB reader would; its one camera watches a folder holding a photo without a face, so only
cards open it. Several tests need exactly this gate (card sync, training rule): it is built
here once.

Use: ``from card_gate import CardGate, card_gate, reader  # noqa: F401 - fixture``.
"""

import os
import shutil
import sqlite3
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from factories import registered_project

from central.registry.sealing import Sealer, key_path_for
from central.storage import Database
from central.wages.rules import PayTerms
from conftest import FACES, Central, Mosquitto, Process, wait_until


def synced_version(gallery: Path) -> int:
    """The gallery version the gate has applied (0 before its first sync)."""
    if not gallery.exists():
        return 0
    with sqlite3.connect(f"file:{gallery}?mode=ro", uri=True, timeout=10) as conn:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'synced_version'").fetchone()
        except sqlite3.OperationalError:
            return 0
    return int(row[0]) if row else 0


def faceless_camera_gate(config: Path, tmp: Path, gallery: Path, **extra: object) -> None:
    """Point the provisioned gate ``config`` at a camera folder under ``tmp`` holding one
    photo without a face (so no face ever opens it), at ``gallery`` and at its own outbox
    and state files, reporting and re-sending every second; ``extra`` settings on top."""
    camera = tmp / "camera"
    camera.mkdir()
    shutil.copy(FACES / "_probes" / "no_face" / "coffee.jpg", camera / "0.jpg")
    data = yaml.safe_load(config.read_text())
    data.update(
        cameras=[
            {
                "name": "east",
                "direction": "in",
                "source": {"type": "folder", "path": str(camera), "interval_ms": 0},
            }
        ],
        gallery=str(gallery),
        outbox=str(tmp / "outbox.db"),
        state=str(tmp / "state.db"),
        status_interval_s=1,
        resend_after_s=1,
        **extra,
    )
    config.write_text(yaml.safe_dump(data))


@pytest.fixture
def reader() -> Iterator[tuple[int, str]]:
    """A pseudo-terminal: the test's end (a file descriptor) and the gate's (a tty path)."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


@dataclass
class CardGate:
    """The running pair: central (with ``site``'s project and one daily-paid worker) and
    the gate (its gallery file, its process)."""

    central: Central
    gate: Process
    gallery: Path
    project: dict[str, object]
    site: str

    def api(self, method: str, path: str, **kw: object) -> httpx.Response:
        """Central's /api/v1 as its admin."""
        url = f"{self.central.base}/api/v1{path}"
        return httpx.request(method, url, headers=self.central.headers, timeout=10, **kw)  # type: ignore[arg-type]

    def card_check_ins(self) -> list[str]:
        """Workers checked in by card at central, in order."""
        rows = self.central.get("/api/v1/attendance", site=self.site)
        return [r["worker_id"] for r in rows if r["method"] == "card"]  # type: ignore[union-attr]

    def synced(self, version: int, what: str) -> None:
        """Wait until the gate has applied gallery ``version``."""
        wait_until(lambda: synced_version(self.gallery) >= version, 30, what)


@contextmanager
def card_gate(
    tmp_path: Path, reader_port: str, site: str, device: str, worker: str
) -> Iterator[CardGate]:
    """Broker, central and gate started; stopped after (the gate must exit cleanly)."""
    broker = Mosquitto(tmp_path)
    broker.start()
    central = Central(tmp_path, broker.url)
    gate: Process | None = None
    try:
        config = central.provision(site, device, broker.url)
        db = Database(central.db)
        project = registered_project(
            db,
            Sealer.from_file(key_path_for(central.db)),
            site,
            {worker: PayTerms(pay_kind="daily", rate_fen=36000)},
            gates=(),
        )
        db.close()
        gallery = tmp_path / "gallery.db"
        card_reader = {"port": reader_port, "direction": "in"}
        faceless_camera_gate(config, tmp_path, gallery, card_reader=card_reader)
        central.start()
        gate = Process(["sitegate-edge", "run", "--config", str(config)], tmp_path / "gate.log")
        wait_until(lambda: "card reader on" in gate.output(), 30, "the gate's card reader")  # type: ignore[union-attr]
        yield CardGate(central, gate, gallery, project, site)
    finally:
        if gate is not None:
            assert gate.stop() == 0, gate.output()
        central.stop()
        broker.stop()
