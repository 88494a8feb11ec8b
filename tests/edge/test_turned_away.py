"""What a gate turned away today: counted once per verdict, reported with the heartbeat,
restarted at the gate's local midnight (edge/turned_away.py). Real fixture photos through
the real pipeline; a card refused by the real card path."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_gate_pipeline import (  # noqa: F401  # enrolled_gallery: the fixture
    FACES,
    enrolled_gallery,
    face_crop,
    gate_config,
    make_gate,
    scene,
)

from edge.gate import Gate
from edge.turned_away import TurnedAway
from wireproto import DeviceStatusBody


@pytest.fixture
def gate(tmp_path: Path, enrolled_gallery: Path) -> Gate:  # noqa: F811
    g = make_gate(gate_config(tmp_path), enrolled_gallery)
    yield g
    g.close()
    g.outbox.close()


def test_a_stranger_is_counted_once_per_track_and_a_worker_not_at_all(gate: Gate) -> None:
    camera = gate.config.cameras[0]
    stranger, sh = face_crop(FACES / "_probes" / "unknown_face" / "london_009_neutral.jpg")
    for n in range(5):  # the same face held in front of the camera for five frames
        gate.process(camera, scene(stranger, 160, sh), n * 0.2)
    known, kh = face_crop(FACES / "london_001" / "2.jpg")
    gate.process(camera, scene(known, 160, kh), 10.0, new_scene=True)
    report = gate.turned_away.report()
    assert report["turned_away"] == {"face_unknown": 1}
    assert report["turned_away_day"] == datetime.now(gate.config.zone).date().isoformat()
    # what the heartbeat carries validates as the wire's status body
    body = DeviceStatusBody(state="online", at=datetime.now(gate.config.zone), **report)
    assert body.turned_away == {"face_unknown": 1}


def test_an_unknown_card_is_counted(tmp_path: Path) -> None:
    config = gate_config(tmp_path, card_reader={"port": "/dev/null", "direction": "in"})
    g = make_gate(config)
    try:
        decision = g.card_presented("DEADBEEF99")
        assert decision.action == "refused"
        assert g.turned_away.report()["turned_away"] == {"card_refused": 1}
    finally:
        g.close()
        g.outbox.close()


def test_counts_restart_with_a_new_local_day() -> None:
    counter = TurnedAway(ZoneInfo("Asia/Shanghai"))
    counter.note("face", "unknown")
    counter.note("qr", "refused")
    counter.note("face", "admit")  # not a refusal
    counter.note("face", "tracking")
    assert counter.report()["turned_away"] == {"face_unknown": 1, "qr_refused": 1}
    counter._day = date(2000, 1, 1)  # as if the counts were yesterday's
    assert counter.report()["turned_away"] == {}
