"""The gate's hardware edges with real stand-ins: serial ports are ptys, a GPIO line is its
sysfs-style value file, a dropping camera stream is a video file that comes and goes."""

from __future__ import annotations

import os
import threading
import tty
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_gate_pipeline import H, W, events, gate_config, make_gate, write_video

from conftest import wait_until
from edge.camera import CameraHealth, frames
from edge.card_reader import CardRegistry, mask
from edge.turnstile import GpioTurnstile, SerialRelayTurnstile, build_turnstile
from firmware_config.model import GpioRelay, SerialRelay, StreamSource


@pytest.fixture
def pty_pair() -> tuple[int, str]:
    """A pseudo-terminal: our end (fd) and the device path the code under test opens."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    path = os.ttyname(slave)
    yield master, path
    os.close(master)
    os.close(slave)


def read_exactly(fd: int, count: int) -> bytes:
    data = b""
    while len(data) < count:
        data += os.read(fd, count - len(data))
    return data


# --- turnstile ------------------------------------------------------------------------------


def test_serial_relay_pulses_open_then_closes(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    relay = SerialRelayTurnstile(SerialRelay(type="serial", port=path, pulse_ms=100))
    try:
        relay.open("cam0", "W-1")
        assert read_exactly(master, 4) == bytes.fromhex("A00101A2")  # on
        assert read_exactly(master, 4) == bytes.fromhex("A00100A1")  # off after the pulse
        assert relay.opened == [("cam0", "W-1")]
    finally:
        relay.close()


def test_gpio_relay_drives_its_value_file(tmp_path: Path) -> None:
    value = tmp_path / "value"
    relay = GpioTurnstile(GpioRelay(type="gpio", value_path=value, pulse_ms=100))
    assert value.read_text() == "0"  # closed at start
    relay.open("cam0", "W-1")
    assert value.read_text() == "1"
    wait_until(lambda: value.read_text() == "0", 5, "the relay to release")


def test_active_low_gpio_and_config_choice(tmp_path: Path) -> None:
    value = tmp_path / "value"
    relay = build_turnstile(GpioRelay(type="gpio", value_path=value, active_low=True, pulse_ms=50))
    assert value.read_text() == "1"  # active low: released is high
    relay.open("cam0", "W-1")
    assert value.read_text() == "0"
    relay.close()
    assert value.read_text() == "1"


# --- card reader ----------------------------------------------------------------------------


def test_card_reader_admits_a_registered_card_and_refuses_others(
    tmp_path: Path, pty_pair: tuple[int, str]
) -> None:
    master, path = pty_pair
    config = gate_config(tmp_path, card_reader={"port": path, "direction": "out"})
    registry = CardRegistry(config.gallery, config.secret_bytes)
    assert registry.add("4501 0219 9001 0112 34", "W-7") == "**************1234"
    registry.close()
    gate = make_gate(config)
    try:
        gate.start()
        wait_until(lambda: gate.card_reader.connected, 10, "the reader to open its port")
        os.write(master, b"450102199001011234\r\n")  # the same card, printed without spaces
        wait_until(lambda: events(gate), 10, "the card check-in")
        os.write(master, b"DEADBEEF99\r\n")  # an unknown card
        os.write(master, b"450102199001011234\r\n")  # again: debounced, no second event
        wait_until(lambda: len(gate.turnstile.opened) == 2, 10, "the second pass")
        (event,) = events(gate)
        assert (event["worker_id"], event["method"], event["direction"]) == ("W-7", "card", "out")
        assert gate.turnstile.opened == [("card", "W-7"), ("card", "W-7")]
    finally:
        gate.close()
        gate.outbox.close()
    stored = config.gallery.read_bytes()
    assert b"450102199001011234" not in stored and b"1234" in stored  # hash + hint only
    assert mask("450102199001011234") == "**************1234"


# --- camera ---------------------------------------------------------------------------------


def test_a_dropped_stream_is_reopened_with_backoff(tmp_path: Path) -> None:
    """The stream's URL is a file path OpenCV opens like any stream: missing at first
    (camera down), then present (camera back), then ending (stream dropped) and reopened."""
    video = tmp_path / "stream.avi"
    stop = threading.Event()
    health = CameraHealth()
    received: list[float] = []

    def consume() -> None:
        for frame in frames(StreamSource(type="stream", url=str(video)), stop, health):
            received.append(frame.at)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    try:
        wait_until(lambda: health.reconnects >= 1, 10, "a reconnect attempt")
        assert health.state == "reconnecting" and not health.ok and received == []
        clip = [np.full((H, W, 3), 40 * i, np.uint8) for i in range(5)]
        write_video(tmp_path / "tmp.avi", clip, 10).rename(video)
        wait_until(lambda: len(received) >= 5, 20, "frames after the camera came back")
        before = health.reconnects
        # The 5-frame clip ends = the stream drops; it is reopened and plays again.
        wait_until(lambda: len(received) >= 10, 20, "frames after the stream dropped")
        assert health.reconnects > before and health.frames >= 10
        assert cv2.__version__  # OpenCV, not a stand-in, decoded those frames
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_camera_health_is_in_the_device_status(tmp_path: Path) -> None:
    config = gate_config(tmp_path)
    gate = make_gate(config)
    try:
        assert gate.camera_states() == {"camera.cam0": "starting"}
        gate.run_camera(config.cameras[0], threading.Event())  # an empty folder: no images
        assert gate.camera_states() == {"camera.cam0": "failed"}
        assert "no images" in (gate.health["cam0"].last_error or "")
    finally:
        gate.close()
        gate.outbox.close()


# --- outbox full ----------------------------------------------------------------------------


def test_a_full_outbox_keeps_the_turnstile_shut_and_the_gate_running(tmp_path: Path) -> None:
    """An admission that cannot be recorded is not given; once there is room, it is."""
    from edge.gate import Gate
    from edge.outbox import Outbox
    from edge.recognition.gallery import Gallery
    from edge.turnstile import LogTurnstile
    from wireproto import AckResult

    config = gate_config(tmp_path)
    outbox = Outbox(
        config.outbox, config.site, config.device, config.secret_bytes, config.zone, max_events=1
    )
    gate = Gate(config, Gallery(config.gallery), outbox, LogTurnstile())
    try:
        first = gate.check_in("W-1", "in", "card", 0.0, camera=None)
        assert first is not None
        assert gate.check_in("W-2", "in", "card", 1.0, camera=None) is None
        assert gate.turnstile.opened == [("card", "W-1")]
        outbox.settle([AckResult(id=first, result="stored")])  # central caught up
        assert gate.check_in("W-2", "in", "card", 2.0, camera=None) is not None
        assert [e["worker_id"] for e in events(gate)] == ["W-2"]
        assert gate.turnstile.opened == [("card", "W-1"), ("card", "W-2")]
    finally:
        outbox.close()
