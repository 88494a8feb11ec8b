"""Dust sensor drivers through real pseudo-terminals: known frames, corruption, silence, CLI."""

import json
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli, wait_until
from edge.dust import pms5003, sds011
from edge.dust.samples import Sample
from edge.dust.sensors import DustSensorDriver, open_sensor
from edge.dust.simulator import Levels, SensorSimulator
from firmware_config.dust import ModbusSensor, Pms5003Sensor, Register, Sds011Sensor

# The example frame of the SDS011 datasheet (laser dust sensor control protocol V1.3):
# PM2.5 = 0x04D4 / 10 = 123.6, PM10 = 0x0A3A / 10 = 261.8, checksum 0x1D.
SDS011_DATASHEET = bytes.fromhex("AAC0D4043A0AA1601DAB")


def pms_frame(words: list[int]) -> bytes:
    """A PMS5003 frame built by hand from the datasheet layout (not with the driver)."""
    body = b"\x42\x4d\x00\x1c" + b"".join(w.to_bytes(2, "big") for w in words)
    return body + (sum(body) % 65536).to_bytes(2, "big")


class Reader:
    """Runs ``poll`` in a thread and collects samples, as the monitor does."""

    def __init__(self, sensor: DustSensorDriver) -> None:
        self.sensor = sensor
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        sensor.open()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples += self.sensor.poll(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sensor.close()


@pytest.fixture
def sds() -> Iterator[tuple[SensorSimulator, Reader]]:
    sim = SensorSimulator("sds011")
    reader = Reader(open_sensor(Sds011Sensor(driver="sds011", port=sim.port)))
    yield sim, reader
    reader.close()
    sim.close()


def test_sds011_decodes_the_datasheet_frame_and_skips_corruption(
    sds: tuple[SensorSimulator, Reader],
) -> None:
    sim, reader = sds
    sim.write(SDS011_DATASHEET)
    wait_until(lambda: len(reader.samples) == 1, 5, "the datasheet frame")
    assert (reader.samples[0].pm2_5, reader.samples[0].pm10) == (123.6, 261.8)
    stats = reader.sensor.stats
    assert stats.bad_frames == 0

    bad_checksum = SDS011_DATASHEET[:8] + b"\x1e" + SDS011_DATASHEET[9:]
    bad_tail = SDS011_DATASHEET[:9] + b"\xaa"
    torn = SDS011_DATASHEET[:5]
    noise = bytes(range(0x10, 0x90))  # contains no 0xAA 0xC0
    good = sds011.encode_frame(35.2, 80.1)
    sim.write(bad_checksum + bad_tail + torn + noise + good)
    wait_until(lambda: len(reader.samples) == 2, 5, "the good frame after the garbage")
    assert (reader.samples[1].pm2_5, reader.samples[1].pm10) == (35.2, 80.1)
    assert stats.bad_frames == 3  # checksum, tail, torn
    assert stats.skipped_bytes >= len(noise)


def test_pms5003_decodes_a_known_frame_through_a_pty() -> None:
    sim = SensorSimulator("pms5003")
    reader = Reader(open_sensor(Pms5003Sensor(driver="pms5003", port=sim.port)))
    try:
        # CF=1: 11, 17, 19; atmospheric: 10, 16, 19; counts; reserved.
        words = [11, 17, 19, 10, 16, 19, 2001, 593, 110, 12, 4, 1, 0x9700]
        frame = pms_frame(words)
        truncated = frame[:20]
        wrong_length = b"\x42\x4d\x00\x14" + frame[4:]
        sim.write(truncated + wrong_length + frame)
        wait_until(lambda: reader.samples, 5, "the PMS frame")
        (s,) = reader.samples
        assert (s.pm1_0, s.pm2_5, s.pm10) == (10.0, 16.0, 19.0)  # atmospheric values
        assert s.counts == (2001, 593, 110, 12, 4, 1)
        assert reader.sensor.stats.bad_frames == 2
    finally:
        reader.close()
        sim.close()


def test_modbus_monitor_with_a_configured_register_map() -> None:
    # A monitor that reports mg/m³ as float32 (low word first) in input registers.
    registers = {
        "pm10": Register(
            address=10, table="input", type="float32", word_order="little", scale=1000
        ),
        "tsp": Register(address=12, table="input", type="float32", word_order="little", scale=1000),
        "humidity": Register(address=30, table="holding", type="uint16", scale=0.1),
    }
    sim = SensorSimulator("modbus", Levels(pm10=87.5, tsp=412.0, humidity=73.4), unit_id=7)
    sim.registers = registers
    sim.start()
    cfg = ModbusSensor(
        driver="modbus", port=sim.port, unit_id=7, timeout_s=0.3, registers=registers
    )
    sensor = open_sensor(cfg, interval_s=0.05)
    sensor.open()
    try:
        (sample,) = wait_until(lambda: sensor.poll(0.5), 5, "a Modbus sample")
        assert sample.pm10 == pytest.approx(87.5, abs=0.01)
        assert sample.tsp == pytest.approx(412.0, abs=0.01)
        assert sample.humidity == pytest.approx(73.4)
        assert sample.pm2_5 is None

        sim.mute = True  # unplugged: each poll times out and counts as a bad frame
        wait_until(lambda: not sensor.poll(0.5) and sensor.stats.bad_frames >= 1, 10, "a timeout")
        sim.mute = False
        wait_until(lambda: sensor.poll(0.5), 5, "recovery after the silence")

        sim.corrupt_every = 1  # every reply with a bad CRC: never a sample
        before = sensor.stats.bad_frames
        assert not sensor.poll(1.0)
        assert sensor.stats.bad_frames == before + 1
    finally:
        sensor.close()
        sim.close()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.sampled_from([sds011.Sds011Parser, pms5003.Pms5003Parser]))
def test_random_bytes_never_crash_a_parser_and_its_buffer_stays_bounded(data, parser_cls) -> None:  # type: ignore[no-untyped-def]
    parser = parser_cls()
    for i in range(0, len(data), 7):
        for sample in parser.feed(data[i : i + 7]):
            assert sample.plausible()
    assert len(parser._buf) < parser.frame_len


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 999.9), st.floats(0, 999.9), st.binary(max_size=12)), max_size=8
    )
)
def test_each_good_frame_survives_any_noise_between_frames(frames) -> None:  # type: ignore[no-untyped-def]
    stream = b"".join(sds011.encode_frame(a, b) + noise for a, b, noise in frames)
    samples = sds011.Sds011Parser().feed(stream)
    decoded = [(s.pm2_5, s.pm10) for s in samples]
    # Noise may itself contain a valid-looking frame (probability ~2^-24); good ones all decode.
    expected = [(round(a * 10) / 10, round(b * 10) / 10) for a, b, _ in frames]
    it = iter(decoded)
    assert all(any(e == d for d in it) for e in expected)


def test_sensor_read_command_prints_json_readings_and_bad_frames() -> None:
    sim = SensorSimulator("pms5003", Levels(pm1_0=5, pm2_5=12, pm10=30), corrupt_every=3)
    sim.start(0.02)
    try:
        result = run_cli(
            "sitegate-edge", "sensor", "read", "--driver", "pms5003", "--port", sim.port,
            "--count", "6", "--json", "--timeout", "20",
        )  # fmt: skip
    finally:
        sim.close()
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 6
    assert all((r["pm1_0"], r["pm2_5"], r["pm10"]) == (5, 12, 30) for r in lines)
    assert "6 reading(s)" in result.stderr and "bad frame(s)" in result.stderr
    bad = int(result.stderr.split("reading(s), ")[1].split(" bad")[0])
    assert bad >= 1  # every third frame was corrupted


def test_sensor_read_command_fails_clearly_on_a_silent_port() -> None:
    sim = SensorSimulator("sds011")
    try:
        result = run_cli(
            "sitegate-edge", "sensor", "read", "--driver", "sds011", "--port", sim.port,
            "--count", "1", "--timeout", "1", check=False,
        )  # fmt: skip
    finally:
        sim.close()
    assert result.returncode == 1
    assert "only 0 of 1 readings" in result.stderr
    missing = run_cli(
        "sitegate-edge", "sensor", "read", "--driver", "sds011", "--port", "/dev/nonexistent-tty",
        check=False,
    )  # fmt: skip
    assert missing.returncode == 1 and "cannot open /dev/nonexistent-tty" in missing.stderr
