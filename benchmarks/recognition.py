"""Gate recognition speed on this machine, against plain face_recognition in the same run.

    .venv/bin/python benchmarks/recognition.py [--quick]

Prints, for the machine it runs on (one core: the process pins itself to CPU 0 and BLAS to
one thread, as a gate shares its CPU with uplink and outbox):

* per-frame time with no face (detection on the downscaled frame + QR scan), as frames/s;
* new face to event in the outbox (p50/p95): the full gate path (detect, track, quality,
  encode at full resolution, 1:N match, debounce, outbox commit with fsync), liveness off;
* the same frames through plain ``face_recognition.face_locations`` + ``face_encodings`` at
  full resolution (HOG, upsample 1; dlib's resnet), and the ratio of the two p95s (the gate
  runs the same resnet on ONNX Runtime, edge/recognition/fast_encoder.py;
  ``SITEGATE_FACE_ENCODER=dlib`` measures it on dlib instead);
* frames/s sustained on a video file played through the gate's own camera loop;
* 1:N match time at 1k, 50k and 1M enrolled workers.

Frames are 640x480, made from the real photos in tests/fixtures/faces (faces 150-200 px tall,
camera noise). The baseline needs face_recognition, which sitegate does not depend on (see
benchmarks/README.md); without it that part is skipped with a message.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge.gate import Gate  # noqa: E402
from edge.outbox import Outbox  # noqa: E402
from edge.recognition.enrollment import enroll  # noqa: E402
from edge.recognition.faces import detect_faces, load_rgb  # noqa: E402
from edge.recognition.gallery import Gallery  # noqa: E402
from edge.recognition.matcher import Matcher  # noqa: E402
from edge.turnstile import LogTurnstile  # noqa: E402
from firmware_config import GateConfig  # noqa: E402
from firmware_config.model import CameraConfig  # noqa: E402

FACES = ROOT / "tests" / "fixtures" / "faces"
W, H = 640, 480


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import dlib

    from edge.recognition import fast_encoder

    if fast_encoder.encoder() is None:
        encoder = "dlib"
    else:
        import onnxruntime

        encoder = f"onnxruntime {onnxruntime.__version__}, 1 thread"
    return (
        f"{cpu}; {os.cpu_count()} cores, pinned to 1; {platform.system()} "
        f"{platform.machine()}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"OpenCV {cv2.__version__}, dlib {dlib.__version__}; gate encoder: {encoder}"
    )


def face_frame(photo: Path, face_px: int, rng: np.random.Generator) -> np.ndarray:
    """A 640x480 BGR frame: the photo's face scaled to ``face_px`` tall, centred, with noise."""
    rgb = load_rgb(photo)
    top, right, bottom, left = max(detect_faces(rgb), key=lambda b: b[2] - b[0])
    h = bottom - top
    cy, cx = (top + bottom) // 2, (left + right) // 2
    crop = rgb[max(cy - h, 0) : cy + h, max(cx - h, 0) : cx + h]
    crop = cv2.resize(crop, None, fx=face_px / h, fy=face_px / h, interpolation=cv2.INTER_AREA)
    frame = np.full((H, W, 3), 110, np.uint8)
    ch, cw = min(crop.shape[0], H), min(crop.shape[1], W)
    y0, x0 = (H - ch) // 2, (W - cw) // 2
    frame[y0 : y0 + ch, x0 : x0 + cw] = crop[:ch, :cw]
    frame = np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8)
    return cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)


def empty_frames(rng: np.random.Generator) -> list[np.ndarray]:
    frames = []
    for photo in sorted((FACES / "_probes" / "no_face").glob("*.jpg")):
        image = cv2.resize(cv2.imread(str(photo)), (W, H))
        frames.append(np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8))
    frames.append(np.clip(110 + rng.normal(0, 3, (H, W, 3)), 0, 255).astype(np.uint8))
    return frames


def build_gate(workdir: Path) -> tuple[Gate, list[str]]:
    people = sorted(p.name for p in FACES.iterdir() if p.is_dir() and not p.name.startswith("_"))
    config = GateConfig.model_validate(
        {
            "site": "bench",
            "device": "gate-1",
            "secret": "ab" * 32,
            "cameras": [{"name": "cam0", "source": {"type": "folder", "path": str(workdir)}}],
            "gallery": str(workdir / "gallery.db"),
            "outbox": str(workdir / "outbox.db"),
            "debounce_s": 0,  # every recognised face is an event: we time the event path
            "qr": {"used_tokens": str(workdir / "qr.db")},
        }
    )
    gallery = Gallery(config.gallery)
    for person in people:
        enroll(gallery, person, [FACES / person / "1.jpg"])
    outbox = Outbox(config.outbox, config.site, config.device, config.secret_bytes, config.zone)
    return Gate(config, gallery, outbox, LogTurnstile()), people


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench_no_face(gate: Gate, frames: list[np.ndarray], rounds: int) -> float:
    camera = gate.config.cameras[0]
    gate.process(camera, frames[0])
    times = []
    for _ in range(rounds):
        for frame in frames:
            start = time.perf_counter()
            gate.process(camera, frame)
            times.append(time.perf_counter() - start)
    return statistics.mean(times)


def baseline_module() -> object | str:
    """face_recognition, or why it cannot be used."""
    try:
        import face_recognition  # type: ignore[import-not-found]
    except (ImportError, SystemExit) as exc:  # face_recognition_models calls quit()
        return f"skipped: face_recognition not importable ({exc!r}); see benchmarks/README.md"
    return face_recognition


def bench_new_face(
    gate: Gate, probes: list[tuple[str, np.ndarray]], empty: np.ndarray, baseline: object | None
) -> tuple[list[float], int, list[float]]:
    """Time from the first frame of a new face until process() returns with the event
    committed (an empty frame in between ends the previous track), and the baseline on the
    same frame right after it: interleaved, so both see the same load on a shared machine."""
    camera = gate.config.cameras[0]
    latencies, right, base = [], 0, []
    if baseline is not None:
        baseline.face_encodings(cv2.cvtColor(probes[0][1], cv2.COLOR_BGR2RGB))  # load models
    clock = 1000.0  # frame times: each worker arrives 5 s after the previous one left
    for person, frame in probes:
        clock += 5.0
        gate.process(camera, empty, clock - 0.1)
        start = time.perf_counter()
        decisions = gate.process(camera, frame, clock)
        elapsed = time.perf_counter() - start
        admitted = [d for d in decisions if d.event_id]
        if admitted:
            latencies.append(elapsed)
            right += admitted[0].worker_id == person
        if baseline is not None:
            start = time.perf_counter()
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            locations = baseline.face_locations(rgb)  # HOG, upsample 1, full resolution
            baseline.face_encodings(rgb, locations)
            base.append(time.perf_counter() - start)
    return latencies, right, base


def bench_video(
    gate: Gate,
    probes: list[tuple[str, np.ndarray]],
    empties: list[np.ndarray],
    workdir: Path,
    seconds: int,
) -> tuple[int, float, int]:
    """A video at 10 frames/s: workers arriving one after another (2 s each, then 1 s of
    empty scene), played through the gate's own camera loop as fast as it can."""
    path = workdir / "gate.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (W, H))
    rng = np.random.default_rng(7)
    n = 0
    while n < seconds * 10:
        _person, frame = probes[(n // 30) % len(probes)]
        for i in range(30):
            if i < 20:
                shifted = np.roll(frame, 3 * i - 30, axis=1)
                writer.write(
                    np.clip(shifted + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
                )
            else:
                writer.write(empties[-1])
        n += 30
    writer.release()
    camera = CameraConfig.model_validate(
        {"name": "cam0", "source": {"type": "file", "path": str(path)}}
    )
    counted: list[int] = [0, 0]

    def count(decisions: list) -> None:  # type: ignore[type-arg]
        counted[0] += 1
        counted[1] += sum(d.encoded for d in decisions)

    start = time.perf_counter()
    gate.run_camera(camera, threading.Event(), on_decisions=count)
    return counted[0], time.perf_counter() - start, counted[1]


def bench_match(sizes: list[int], queries: int) -> list[tuple[int, float, float]]:
    rng = np.random.default_rng(1)
    results = []
    for size in sizes:
        # dlib descriptors have norms ~0.9-1.1 with small components: unit-ish random vectors
        matrix = rng.standard_normal((size, 128), dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        labels = np.char.add("W", np.arange(size).astype(str))
        matcher = Matcher(labels, matrix)
        del matrix
        probes = rng.standard_normal((queries, 128), dtype=np.float32)
        matcher.match(probes[0])
        times = []
        for probe in probes:
            start = time.perf_counter()
            matcher.match(probe)
            times.append(time.perf_counter() - start)
        results.append((size, statistics.median(times) * 1000, pct(times, 95) * 1000))
        del matcher
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, no 1M gallery")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"machine: {machine()}")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        gate, people = build_gate(workdir)
        empties = empty_frames(rng)
        probes = []
        for person in people:
            for photo in sorted((FACES / person).glob("*.jpg"))[1:]:  # not the enrolled one
                for face_px in (150, 175, 200):
                    probes.append((person, face_frame(photo, face_px, rng)))
        no_face = bench_no_face(gate, empties, 5 if args.quick else 25)
        print(
            f"no-face frame (detect at {gate.config.recognition.detect_width} px + QR scan): "
            f"{no_face * 1000:.1f} ms/frame = {1 / no_face:.1f} frames/s (target >= 25)"
        )
        module = baseline_module()
        baseline = None if isinstance(module, str) else module
        latencies, right, base = bench_new_face(gate, probes, empties[-1], baseline)
        print(
            f"new face -> event in outbox ({len(probes)} frames 640x480, {len(latencies)} "
            f"admitted, {right} as the right person, liveness off): "
            f"p50 {pct(latencies, 50) * 1000:.0f} ms, p95 {pct(latencies, 95) * 1000:.0f} ms"
        )
        if isinstance(module, str):
            print(f"baseline face_recognition: {module}")
        else:
            print(
                "baseline face_recognition face_locations+face_encodings, full resolution, "
                f"same frames, interleaved: p50 {pct(base, 50) * 1000:.0f} ms, "
                f"p95 {pct(base, 95) * 1000:.0f} ms"
            )
            ratio = pct(latencies, 95) / pct(base, 95)
            print(f"ratio new-face p95 / baseline p95: {ratio:.2f} (target <= 0.35)")
        frames, seconds, encodes = bench_video(
            gate, probes, empties, workdir, 6 if args.quick else 30
        )
        print(
            f"video ({frames} frames of workers arriving, via the camera loop): "
            f"{frames / seconds:.1f} frames/s sustained, {encodes} encodings for "
            f"{frames // 30} visits"
        )
        gate.close()
        gate.outbox.close()
        gate.gallery.close()
    sizes = [1_000, 50_000] if args.quick else [1_000, 50_000, 1_000_000]
    for size, median_ms, p95_ms in bench_match(sizes, 20):
        target = {50_000: " (target <= 5 ms)", 1_000_000: " (target <= 100 ms)"}.get(size, "")
        print(
            f"1:N match, {size:>9,} enrolled: "
            f"median {median_ms:.2f} ms, p95 {p95_ms:.2f} ms{target}"
        )


if __name__ == "__main__":
    main()
