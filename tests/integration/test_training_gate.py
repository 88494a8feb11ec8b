"""A project's training rule reaches a real gate: a worker without valid safety training is
refused at the gate, and let in once their training is recorded at central.

``sitegate-central serve`` and ``sitegate-edge run`` over a private Mosquitto, the gate of
tests/integration/card_gate.py as in test_card_reader_sync.py: the worker's card is registered
at central and typed into the gate's card reader (a pseudo-terminal). The gate has no notion
of training: the gallery sync sends the untrained worker as removed (no face, no cards) and
sends them again once trained
(docs/protocol.md, "Entry eligibility").
"""

import os
from datetime import datetime
from pathlib import Path

import pytest
from card_gate import card_gate, reader  # noqa: F401 - fixture
from factories import SHANGHAI

from conftest import have_mosquitto, wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="needs the mosquitto binary")

SITE, DEVICE, WORKER = "site-t", "gate-1", "W-TRAIN"
CARD = "04 7F 21 AA 9C 31 81"


def test_the_gate_refuses_the_untrained_until_training_is_recorded(
    tmp_path: Path,
    reader: tuple[int, str],  # noqa: F811
) -> None:
    master, port = reader
    with card_gate(tmp_path, port, SITE, DEVICE, WORKER) as at:

        def gallery_version() -> int:
            return int(at.api("GET", f"/sites/{SITE}/gallery").json()["version"])

        # The project admits trained workers only; the worker has a card but no training.
        resp = at.api("PUT", f"/projects/{SITE}/training-rule", json={"required": True})
        assert resp.status_code == 200, resp.text
        resp = at.api("POST", f"/workers/{WORKER}/cards", json={"number": CARD, "kind": "nfc"})
        assert resp.status_code == 201, resp.text
        at.synced(gallery_version(), "the gallery at the gate")
        os.write(master, CARD.encode() + b"\r\n")
        wait_until(lambda: "refused" in at.gate.output(), 30, "the gate to refuse the card")
        assert at.card_check_ins() == []

        # Training recorded at central: the next sync lets the worker in.
        resp = at.api(
            "POST",
            "/training-courses",
            data={
                "title": "入场三级安全教育",
                "hours": "24",
                "valid_days": "365",
                "material_text": "安全帽、安全带、临边防护",
                "enterprise_id": str(at.project["id"]),
            },
        )
        assert resp.status_code == 201, resp.text
        course = resp.json()["id"]
        today = datetime.now(SHANGHAI).date().isoformat()
        resp = at.api(
            "POST",
            f"/training-courses/{course}/completions",
            json={"project_id": SITE, "worker_id": WORKER, "completed_on": today},
        )
        assert resp.status_code == 201, resp.text
        at.synced(gallery_version(), "the training at the gate")
        os.write(master, CARD.encode() + b"\r\n")
        wait_until(at.card_check_ins, 30, "the card check-in at central")
        assert at.card_check_ins() == [WORKER]
