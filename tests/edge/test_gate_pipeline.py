"""The gate's face pipeline on camera-like frames made from the real fixture photos.

Frames are 640x480, like the gate's camera: a fixture face cropped with its surroundings,
scaled to a given face height and placed on a plain background (plus camera noise where the
test is about video). Videos are real files written and decoded by OpenCV. The helpers here
are shared by the other gate tests (test_liveness.py, test_qr.py, test_gate_io.py).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.gate import Decision, Gate
from edge.outbox import Outbox
from edge.recognition.enrollment import enroll
from edge.recognition.faces import detect_faces, load_rgb
from edge.recognition.gallery import Gallery
from edge.turnstile import LogTurnstile
from firmware_config import GateConfig
from firmware_config.model import CameraConfig

FACES = Path(__file__).parents[1] / "fixtures" / "faces"
SECRET = "5e" * 32
W, H = 640, 480
ENROLLED = ["london_001", "london_003", "london_004", "obama"]


# --- helpers shared by the gate tests -------------------------------------------------------


def face_crop(photo: Path) -> tuple[np.ndarray, int]:
    """The photo cropped to its face with room around it, and the face height in the crop."""
    rgb = load_rgb(photo)
    top, right, bottom, left = max(detect_faces(rgb), key=lambda b: b[2] - b[0])
    h = bottom - top
    cy, cx = (top + bottom) // 2, (left + right) // 2
    y0, x0 = max(cy - h, 0), max(cx - h, 0)
    return np.ascontiguousarray(rgb[y0 : cy + h, x0 : cx + h]), h


def scene(
    crop: np.ndarray,
    face_px: int,
    crop_face_px: int,
    at: tuple[int, int] = (320, 240),
    background: int = 110,
) -> np.ndarray:
    """A BGR camera frame with the crop scaled so its face is ``face_px`` tall, centred at
    ``at``."""
    scale = face_px / crop_face_px
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((H, W, 3), background, np.uint8)
    h, w = small.shape[:2]
    y0, x0 = at[1] - h // 2, at[0] - w // 2
    ys, xs = max(y0, 0), max(x0, 0)
    ye, xe = min(y0 + h, H), min(x0 + w, W)
    frame[ys:ye, xs:xe] = small[ys - y0 : ye - y0, xs - x0 : xe - x0]
    return cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)


def noisy(frame: np.ndarray, rng: np.random.Generator, sigma: float = 3.0) -> np.ndarray:
    """Camera sensor noise: no two real frames are identical."""
    return np.clip(frame + rng.normal(0, sigma, frame.shape), 0, 255).astype(np.uint8)


def gate_config(tmp_path: Path, **overrides: object) -> GateConfig:
    """A gate config with files in ``tmp_path`` and a folder camera (tests feed frames)."""
    camera = tmp_path / "camera"
    camera.mkdir(exist_ok=True)
    raw: dict[str, object] = {
        "site": "site-1",
        "device": "gate-1",
        "secret": SECRET,
        "cameras": [
            {"name": "cam0", "direction": "in", "source": {"type": "folder", "path": str(camera)}}
        ],
        "gallery": str(tmp_path / "gallery.db"),
        "outbox": str(tmp_path / "outbox.db"),
        "qr": {"used_tokens": str(tmp_path / "qr_used.db")},
    }
    raw.update(overrides)
    return GateConfig.model_validate(raw)


def make_gate(config: GateConfig, gallery_db: Path | None = None) -> Gate:
    """A gate over a copy of the shared gallery, a fresh outbox and a logging turnstile."""
    if gallery_db is not None:
        config.gallery.write_bytes(gallery_db.read_bytes())
    outbox = Outbox(config.outbox, config.site, config.device, config.secret_bytes, config.zone)
    return Gate(config, Gallery(config.gallery), outbox, LogTurnstile())


def events(gate: Gate) -> list[dict]:
    """The attendance bodies in the gate's outbox, oldest first."""
    rows = gate.outbox.db.execute("SELECT payload FROM outbox ORDER BY seq").fetchall()
    return [json.loads(row[0])["body"] for row in rows]


@pytest.fixture(scope="session")
def enrolled_gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Photo 1 of four fixture people, enrolled through the real enrollment path."""
    path = tmp_path_factory.mktemp("gate-gallery") / "gallery.db"
    with Gallery(path) as gallery:
        for person in ENROLLED:
            enroll(gallery, person, [FACES / person / "1.jpg"])
    return path


@pytest.fixture
def gate(tmp_path: Path, enrolled_gallery: Path) -> Gate:
    g = make_gate(gate_config(tmp_path), enrolled_gallery)
    yield g
    g.close()
    g.outbox.close()


def faces_of(decisions: list[Decision]) -> list[Decision]:
    return [d for d in decisions if d.method == "face"]


# --- one frame ------------------------------------------------------------------------------


def test_right_person_admitted_from_another_photo(gate: Gate) -> None:
    crop, face_h = face_crop(FACES / "london_001" / "2.jpg")  # enrolled from 1.jpg
    (decision,) = faces_of(gate.process(gate.config.cameras[0], scene(crop, 160, face_h), 0.0))
    assert (decision.action, decision.worker_id) == ("admit", "london_001")
    assert decision.distance is not None and decision.distance < gate.config.recognition.threshold
    (event,) = events(gate)
    assert event["worker_id"] == "london_001" and event["method"] == "face"
    assert event["liveness"] == "not_checked" and event["direction"] == "in"
    assert gate.turnstile.opened == [("cam0", "london_001")]


def test_stranger_is_unknown_and_opens_nothing(gate: Gate) -> None:
    crop, face_h = face_crop(FACES / "_probes" / "unknown_face" / "london_009_neutral.jpg")
    (decision,) = faces_of(gate.process(gate.config.cameras[0], scene(crop, 160, face_h), 0.0))
    assert decision.action == "unknown" and decision.worker_id is None
    assert events(gate) == [] and gate.turnstile.opened == []


def test_two_faces_in_one_frame_are_judged_each_on_their_own(gate: Gate) -> None:
    frame = cv2.imread(str(FACES / "_probes" / "two_faces" / "london_003_004_montage.jpg"))
    frame = cv2.resize(frame, (W, W // 2))  # 900x450 montage of the smiling photos
    decisions = faces_of(gate.process(gate.config.cameras[0], frame, 0.0))
    assert sorted((d.action, d.worker_id) for d in decisions) == [
        ("admit", "london_003"),
        ("admit", "london_004"),
    ]
    assert sorted(e["worker_id"] for e in events(gate)) == ["london_003", "london_004"]


def test_known_and_unknown_side_by_side(gate: Gate) -> None:
    known, kh = face_crop(FACES / "obama" / "2.jpg")
    stranger, sh = face_crop(FACES / "_probes" / "unknown_face" / "london_008_smiling.jpg")
    left = cv2.cvtColor(scene(known, 130, kh, at=(170, 240)), cv2.COLOR_BGR2RGB)
    right = cv2.cvtColor(scene(stranger, 130, sh, at=(470, 240)), cv2.COLOR_BGR2RGB)
    frame = np.where(np.arange(W)[None, :, None] < W // 2, left, right).astype(np.uint8)
    decisions = faces_of(
        gate.process(gate.config.cameras[0], cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), 0.0)
    )
    assert sorted((d.action, d.worker_id or "-") for d in decisions) == [
        ("admit", "obama"),
        ("unknown", "-"),
    ]


def test_tiny_face_is_not_judged_and_says_why(gate: Gate) -> None:
    crop, face_h = face_crop(FACES / "london_001" / "2.jpg")
    # Found by a detector told to look harder, but too small to judge.
    rec = gate.config.recognition.model_copy(update={"detect_width": W, "detect_upsample": 1})
    gate.config = gate.config.model_copy(update={"recognition": rec})
    (decision,) = faces_of(gate.process(gate.config.cameras[0], scene(crop, 70, face_h), 0.0))
    assert decision.action == "rejected"
    assert decision.reason is not None and decision.reason.startswith("face too small")
    assert events(gate) == []


def test_blurred_face_is_not_judged_and_says_why(gate: Gate) -> None:
    crop, face_h = face_crop(FACES / "london_001" / "2.jpg")
    frame = cv2.GaussianBlur(scene(crop, 160, face_h), (0, 0), 4)
    (decision,) = faces_of(gate.process(gate.config.cameras[0], frame, 0.0))
    assert decision.action == "rejected"
    assert decision.reason is not None and decision.reason.startswith("too blurred")
    assert events(gate) == [] and gate.turnstile.opened == []


def test_a_face_is_encoded_once_per_track(gate: Gate) -> None:
    crop, face_h = face_crop(FACES / "london_003" / "2.jpg")
    rng = np.random.default_rng(3)
    camera = gate.config.cameras[0]
    decisions = []
    for i in range(12):  # the worker steps closer: 8 px a frame at 10 frames/s
        frame = noisy(scene(crop, 150 + 2 * i, face_h, at=(300 + 8 * i, 240)), rng)
        decisions += faces_of(gate.process(camera, frame, i * 0.1))
    assert sum(d.encoded for d in decisions) == 1
    assert [d.action for d in decisions] == ["admit"] + ["tracking"] * 11
    assert len({d.track for d in decisions}) == 1
    assert len(events(gate)) == 1


# --- video ----------------------------------------------------------------------------------


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    """An MJPG AVI, the kind of file an NVR export or a test recording gives."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (W, H))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def lingering_worker_video(path: Path) -> Path:
    """10 s at 8 frames/s: a worker at the gate, who twice turns away for 1.5 s (the face is
    lost and found again, so the tracker sees three separate visits)."""
    crop, face_h = face_crop(FACES / "london_004" / "2.jpg")
    rng = np.random.default_rng(4)
    empty = np.full((H, W, 3), 110, np.uint8)
    frames = []
    for i in range(80):
        t = i / 8
        away = 3.0 <= t < 4.5 or 6.5 <= t < 8.0
        sway = int(6 * np.sin(t * 3))
        frames.append(noisy(empty if away else scene(crop, 170, face_h, at=(320 + sway, 240)), rng))
    return write_video(path, frames, 8)


def run_video(gate: Gate, video: Path) -> list[Decision]:
    """Play a video file through the gate's own camera loop (a FileSource)."""
    camera = CameraConfig.model_validate(
        {"name": "cam0", "direction": "in", "source": {"type": "file", "path": str(video)}}
    )
    seen: list[Decision] = []
    gate.run_camera(camera, threading.Event(), on_decisions=seen.extend)
    assert gate.health["cam0"].state == "ended", gate.health["cam0"]
    return seen


def test_debounce_one_event_for_a_worker_lingering_10_s(gate: Gate, tmp_path: Path) -> None:
    decisions = run_video(gate, lingering_worker_video(tmp_path / "linger.avi"))
    admits = [d for d in decisions if d.action == "admit"]
    assert len(admits) == 3  # three visits, each recognised...
    assert [e["worker_id"] for e in events(gate)] == ["london_004"]  # ...one event
    assert len(gate.turnstile.opened) == 3  # a debounced worker still gets through


def test_debounce_window_is_what_merges_the_visits(tmp_path: Path, enrolled_gallery: Path) -> None:
    config = gate_config(tmp_path, debounce_s=2.0)  # shorter than the 1.5 s + gaps
    gate = make_gate(config, enrolled_gallery)
    try:
        run_video(gate, lingering_worker_video(tmp_path / "linger.avi"))
        assert [e["worker_id"] for e in events(gate)] == ["london_004"] * 3
    finally:
        gate.close()
        gate.outbox.close()


def test_each_photo_of_a_folder_camera_is_new_people(gate: Gate, tmp_path: Path) -> None:
    """Two people photographed alike (same framing, same backdrop) in consecutive photos: a
    folder is not a video, so the second must not inherit the first one's track."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for n, person in enumerate(["london_001", "london_003"]):
        (folder / f"{n}.jpg").write_bytes((FACES / person / "2.jpg").read_bytes())
    camera = CameraConfig.model_validate(
        {"name": "cam0", "source": {"type": "folder", "path": str(folder), "interval_ms": 0}}
    )
    gate.run_camera(camera, threading.Event())
    assert [e["worker_id"] for e in events(gate)] == ["london_001", "london_003"]


def test_a_threshold_pushed_by_central_changes_the_next_decision(gate: Gate) -> None:
    """Remote config is live: a stricter threshold turns the same face away."""
    from edge.remote_config import gate_applier
    from wireproto.commands import RemoteSettings

    crop, face_h = face_crop(FACES / "london_001" / "2.jpg")
    first = faces_of(gate.process(gate.config.cameras[0], scene(crop, 160, face_h), 0.0))
    (admitted,) = first
    assert admitted.action == "admit" and admitted.distance is not None
    stricter = round(admitted.distance - 0.05, 3)  # just below this face's distance
    gate_applier(gate, gate.config)(
        RemoteSettings.model_validate({"recognition": {"threshold": stricter}})
    )
    assert gate.config.recognition.threshold == stricter
    crop, face_h = face_crop(FACES / "london_001" / "2.jpg")
    later = faces_of(gate.process(gate.config.cameras[0], scene(crop, 300, face_h), 1.0, True))
    assert [d.action for d in later] == ["unknown"]
    assert [e["worker_id"] for e in events(gate)] == ["london_001"]  # only the first
