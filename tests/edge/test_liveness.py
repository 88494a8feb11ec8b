"""Liveness on frame sequences made from real photos.

A printed photo held up to the gate is simulated by the fixture photo itself, held still or
waved (rotation, zoom, shift, perspective tilt), with camera noise on every frame. A live
worker is simulated by a real blink: the eyelids of the real photo are closed for 4 frames
by warping the eye region along the 68 landmarks (skin above and below the eye is stretched
over it), which the landmark model then measures as a lower eye aspect ratio.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from test_gate_pipeline import (
    FACES,
    H,
    W,
    enrolled_gallery,  # noqa: F401 (a fixture)
    events,
    face_crop,
    gate_config,
    make_gate,
    noisy,
    scene,
)

from edge.gate import Gate
from edge.recognition.faces import detect_faces, landmarks_68
from edge.recognition.liveness import RULES, eye_aspect_ratio, new_check, nonaffine_residual

FPS = 10
WINDOW_S = 2.0


def close_eyes(rgb: np.ndarray) -> np.ndarray:
    """The same photo with both eyes shut: each output pixel near an eye's centre line samples
    the eyelid skin just beyond the eye opening, fading to no change at the region's edge."""
    points = landmarks_68(rgb, max(detect_faces(rgb), key=lambda b: b[2] - b[0]))
    h, w = rgb.shape[:2]
    map_x, map_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    for eye in (points[36:42], points[42:48]):
        cx, cy = eye.mean(axis=0)
        width = float(np.linalg.norm(eye[3] - eye[0]))
        half_w, half_h = width * 0.75, width * 0.6
        opening = 1.3 * (np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])) / 4
        y0, y1 = int(cy - half_h), int(cy + half_h) + 1
        x0, x1 = int(cx - half_w), int(cx + half_w) + 1
        dx = (map_x[y0:y1, x0:x1] - cx) / half_w
        dy = map_y[y0:y1, x0:x1] - cy
        k = np.clip(1 - dx**2, 0, 1) * opening
        source = k + np.abs(dy) * (half_h - k) / half_h
        map_y[y0:y1, x0:x1] = cy + np.sign(dy) * source
    return cv2.remap(rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def moved(
    frame: np.ndarray,
    rng: np.random.Generator,
    degrees: float,
    zoom: float,
    shift: float,
    tilt: float,
) -> np.ndarray:
    """The frame as a flat picture moved in front of the camera: rotated, zoomed, shifted and
    tilted (a perspective warp), by random amounts up to the given ones."""
    m = cv2.getRotationMatrix2D(
        (W / 2, H / 2), rng.uniform(-degrees, degrees), rng.uniform(1 - zoom, 1 + zoom)
    )
    m[:, 2] += rng.uniform(-shift, shift, 2)
    corners = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
    warp = cv2.getPerspectiveTransform(
        corners, corners + rng.uniform(-tilt, tilt, (4, 2)).astype(np.float32)
    )
    out = cv2.warpAffine(frame, m, (W, H), borderValue=(110, 110, 110))
    return cv2.warpPerspective(out, warp, (W, H), borderValue=(110, 110, 110))


def sequence(
    person: str, frames: int, blink_at: int | None = None, wave: bool = False, seed: int = 0
) -> list[np.ndarray]:
    """``frames`` camera frames of one real photo, with a blink at ``blink_at`` (4 frames)."""
    crop, face_h = face_crop(FACES / person / "2.jpg")
    shut = close_eyes(crop)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(frames):
        eyes_shut = blink_at is not None and blink_at <= i < blink_at + 4
        frame = scene(shut if eyes_shut else crop, 170, face_h)
        # Waved about, or hand-held (a photo, or a live worker standing still): a little drift.
        frame = moved(frame, rng, 8, 0.1, 30, 25) if wave else moved(frame, rng, 1, 0.02, 4, 3)
        out.append(noisy(frame, rng))
    return out


def play(gate: Gate, frames: list[np.ndarray]) -> list[str]:
    camera = gate.config.cameras[0]
    actions = []
    for i, frame in enumerate(frames):
        actions += [d.action for d in gate.process(camera, frame, i / FPS) if d.method == "face"]
    return actions


@pytest.fixture
def live_gate(
    tmp_path: Path,
    enrolled_gallery: Path,  # noqa: F811 (the fixture imported above)
    request: pytest.FixtureRequest,
) -> Gate:
    strictness = getattr(request, "param", "normal")
    config = gate_config(
        tmp_path, liveness={"enabled": True, "strictness": strictness, "window_s": WINDOW_S}
    )
    gate = make_gate(config, enrolled_gallery)
    yield gate
    gate.close()
    gate.outbox.close()


@pytest.mark.parametrize("wave", [False, True], ids=["held-still", "waved"])
def test_a_photo_is_refused_when_liveness_is_on(live_gate: Gate, wave: bool) -> None:
    actions = play(live_gate, sequence("london_003", 30, wave=wave))
    assert actions[0] == "pending"  # recognised on the first frame...
    assert "refused" in actions and "admit" not in actions  # ...but never let in
    assert events(live_gate) == [] and live_gate.turnstile.opened == []


@pytest.mark.parametrize("live_gate", ["normal", "strict"], indirect=True)
def test_a_blink_passes_liveness(live_gate: Gate) -> None:
    actions = play(live_gate, sequence("london_003", 20, blink_at=8))
    assert "admit" in actions and "refused" not in actions
    assert actions.index("admit") >= 11  # not before the eyes have opened again
    (event,) = events(live_gate)
    assert (event["worker_id"], event["liveness"], event["method"]) == (
        "london_003",
        "passed",
        "face",
    )
    assert live_gate.turnstile.opened == [("cam0", "london_003")]


def test_the_blink_is_what_passes(live_gate: Gate) -> None:
    """Same frames, same noise, eyes never shut: refused. So the synthetic blink, not an
    artefact of the sequence, is what the check saw."""
    actions = play(live_gate, sequence("london_003", 30, blink_at=None))
    assert "admit" not in actions and events(live_gate) == []


def test_closed_eyes_measure_lower_and_rigid_motion_stays_affine() -> None:
    crop, _ = face_crop(FACES / "london_001" / "2.jpg")
    box = detect_faces(crop)[0]
    open_pts = landmarks_68(crop, box)
    shut = close_eyes(crop)
    assert eye_aspect_ratio(landmarks_68(shut, box)) < 0.7 * eye_aspect_ratio(open_pts)
    # Any affine move of the landmarks leaves no residual; a moved eye does.
    affine = open_pts @ np.array([[0.9, 0.1], [-0.1, 0.95]]) + [12.0, -7.0]
    assert nonaffine_residual(open_pts, affine) < 1e-9
    bent = affine.copy()  # a head turn: the nose (27-35) moves against the face outline
    bent[27:36, 0] += 0.2 * np.linalg.norm(open_pts[39] - open_pts[42])
    assert nonaffine_residual(open_pts, bent) > RULES["normal"].motion


def test_the_window_is_counted_from_recognition() -> None:
    check = new_check("normal", 2.0, started_at=10.0)
    assert check.verdict(11.9) == "pending" and check.verdict(12.1) == "failed"


@pytest.mark.parametrize(("strictness", "passes"), [("normal", True), ("strict", False)])
def test_head_motion_counts_only_at_normal_strictness(strictness: str, passes: bool) -> None:
    crop, _ = face_crop(FACES / "london_001" / "2.jpg")
    points = landmarks_68(crop, detect_faces(crop)[0])
    unit = np.linalg.norm(points[39] - points[42])
    rng = np.random.default_rng(0)
    check = new_check(strictness, 5.0, started_at=0.0)
    for i in range(8):  # the head turns a little more each frame: the nose leads the outline
        frame_points = points + rng.normal(0, 0.01 * unit, points.shape)
        frame_points[27:36, 0] += 0.03 * i * unit
        check.observe(frame_points, i / FPS)
    assert (check.verdict(0.8) == "passed") is passes
    assert check.evidence == ("motion" if passes else None)
