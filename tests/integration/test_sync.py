"""Central → gate: a config push applied and acknowledged, and the face gallery synced by version.

A real ``sitegate-edge run`` gate talks to a real ``sitegate-central serve`` through a private
Mosquitto. Workers are enrolled at central from real photos (encoded here, as an enrollment
desk would); the gate's own gallery file then recognises other photos of them. With the
broker down, the restarted gate still admits an enrolled worker from its local copy.
"""

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import FACES, Central, Mosquitto, Process, have_mosquitto, wait_until
from edge.recognition.gallery import Gallery
from edge.recognition.gallery_key import gallery_key

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="needs the mosquitto binary")

SITE, DEVICE = "site-y", "gate-1"
NO_FACE = FACES / "_probes" / "no_face" / "coffee.jpg"


def encoding(photo: Path) -> list[float]:
    from edge.recognition.faces import analyse, load_rgb

    (face,) = analyse(load_rgb(photo))
    return [float(x) for x in face.encoding]


def query(db: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(sql).fetchall()


class Rig:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.broker = Mosquitto(tmp)
        self.broker.start()
        self.central = Central(tmp, self.broker.url)
        self.config = self.central.provision(SITE, DEVICE, self.broker.url)
        self.camera = tmp / "camera"
        self.camera.mkdir()
        shutil.copy(NO_FACE, self.camera / "0.jpg")
        self.gallery = tmp / "gallery.db"
        self.outbox = tmp / "outbox.db"
        data = yaml.safe_load(self.config.read_text())
        data.update(
            cameras=[
                {
                    "name": "east",
                    "direction": "in",
                    "source": {"type": "folder", "path": str(self.camera), "interval_ms": 0},
                }
            ],
            gallery=str(self.gallery),
            outbox=str(self.outbox),
            state=str(tmp / "state.db"),
            status_interval_s=1,
            resend_after_s=1,
        )
        self.config.write_text(yaml.safe_dump(data))
        self.central.start()
        self.gates: list[Process] = []

    def start_gate(self) -> Process:
        gate = Process(
            ["sitegate-edge", "run", "--config", str(self.config)],
            self.tmp / f"gate-{len(self.gates)}.log",
        )
        self.gates.append(gate)
        return gate

    def api(self, method: str, path: str, **kw: object) -> httpx.Response:
        url = f"{self.central.base}/api/v1{path}"
        return httpx.request(method, url, headers=self.central.headers, timeout=10, **kw)  # type: ignore[arg-type]

    def synced_version(self) -> int:
        rows = query(self.gallery, "SELECT value FROM meta WHERE key = 'synced_version'")
        return rows[0][0] if rows else 0

    def recognise(self, probe: list[float]) -> str | None:
        """What the gate's own gallery file makes of a face (the gate's matcher, its data)."""
        secret = bytes.fromhex(yaml.safe_load(self.config.read_text())["secret"])
        with Gallery(self.gallery, gallery_key(secret)) as gallery:  # encrypted at rest
            return gallery.snapshot().match(probe).worker_id

    def outbox_workers(self) -> list[str]:
        rows = query(self.outbox, "SELECT payload FROM outbox ORDER BY seq")
        return [json.loads(p)["body"]["worker_id"] for (p,) in rows]

    def close(self) -> None:
        for gate in self.gates:
            gate.stop()
        self.central.stop()
        self.broker.stop()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


def test_config_push_and_gallery_sync_and_offline_recognition(rig: Rig) -> None:
    gate = rig.start_gate()
    config_path = f"/devices/{SITE}/{DEVICE}/config"

    # -- a config push, validated at central, applied and reported by the gate -------------
    assert rig.api("PUT", config_path, json={"recognition": {"threshold": 2}}).status_code == 422
    resp = rig.api("PUT", config_path, json={"recognition": {"threshold": 0.48}, "debounce_s": 2})
    assert resp.json() == {"version": 1}
    state = wait_until(
        lambda: (s := rig.api("GET", config_path).json())["applied_version"] == 1 and s,
        30,
        "the gate to report config version 1",
    )
    assert state["desired_version"] == 1 and state["config_error"] is None
    assert state["settings"]["recognition"]["threshold"] == 0.48
    applied = query(rig.tmp / "state.db", "SELECT version, settings FROM applied_config")
    assert [(v, json.loads(s)["debounce_s"]) for v, s in applied] == [(1, 2.0)]

    # -- gallery: two workers enrolled at central reach the gate ---------------------------
    enrolled = {"W-OBAMA": FACES / "obama" / "1.jpg", "W-LISA": FACES / "lisa" / "1.jpg"}
    for worker, photo in enrolled.items():
        resp = rig.api(
            "PUT", f"/sites/{SITE}/gallery/{worker}", json={"encodings": [encoding(photo)]}
        )
        assert resp.status_code == 200, resp.text
    wait_until(lambda: rig.synced_version() == 2, 30, "the gate's gallery at version 2")
    obama, lisa = encoding(FACES / "obama" / "2.jpg"), encoding(FACES / "lisa" / "2.jpg")
    assert rig.recognise(obama) == "W-OBAMA" and rig.recognise(lisa) == "W-LISA"
    wait_until(
        lambda: rig.api("GET", f"/sites/{SITE}/gallery").json()["devices"] == {DEVICE: 2},
        30,
        "the gate's report of gallery version 2",
    )

    # -- removed at central: no longer recognised at the gate ------------------------------
    assert rig.api("DELETE", f"/sites/{SITE}/gallery/W-OBAMA").json() == {"version": 3}
    wait_until(lambda: rig.synced_version() == 3, 30, "the gate's gallery at version 3")
    assert rig.recognise(obama) is None and rig.recognise(lisa) == "W-LISA"
    assert rig.api("GET", f"/sites/{SITE}/gallery").json()["workers"] == ["W-LISA"]

    # -- broker down, gate restarted: its local copy still admits W-LISA, not W-OBAMA ------
    rig.broker.stop()
    assert gate.stop() == 0, gate.output()
    (rig.camera / "0.jpg").unlink()
    shutil.copy(FACES / "obama" / "2.jpg", rig.camera / "1.jpg")  # seen first, not admitted
    shutil.copy(FACES / "lisa" / "2.jpg", rig.camera / "2.jpg")
    rig.start_gate()
    wait_until(rig.outbox_workers, 60, "a check-in recorded while the broker is down")
    assert rig.outbox_workers() == ["W-LISA"]

    rig.broker.start()
    wait_until(
        lambda: [r["worker_id"] for r in rig.central.get("/api/v1/attendance", site=SITE)],  # type: ignore[union-attr]
        60,
        "the offline check-in at central",
    )
    assert [r["worker_id"] for r in rig.central.get("/api/v1/attendance", site=SITE)] == [  # type: ignore[union-attr]
        "W-LISA"
    ]
    wait_until(lambda: rig.outbox_workers() == [], 30, "the ack to empty the outbox")
