"""HJ 212 packets checked by an independent parser, and the uploader against a real TCP server."""

import contextlib
import re
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import free_port, wait_until
from edge.dust.hj212 import codec
from edge.dust.hj212.uploader import Hj212Uploader
from edge.dust.windows import WindowMean
from firmware_config.dust import Hj212Platform

SHANGHAI = ZoneInfo("Asia/Shanghai")
PACKET_RE = re.compile(rb"^##(\d{4})(.*)([0-9A-F]{4})\r\n$", re.S)


def crc_reference(data: bytes) -> int:
    """HJ 212-2017 Appendix A's C routine, transcribed independently of the codec."""
    crc_reg = 0xFFFF
    for byte in data:
        crc_reg = (crc_reg >> 8) ^ byte
        for _ in range(8):
            check = crc_reg & 0x0001
            crc_reg = crc_reg >> 1
            if check == 0x0001:
                crc_reg = crc_reg ^ 0xA001
    return crc_reg


def parse(packet: bytes) -> dict[str, object]:
    """An independent reading of a packet: framing, length, CRC, fields and CP groups."""
    m = PACKET_RE.match(packet)
    assert m, packet
    length, data, crc = int(m[1]), m[2], int(m[3], 16)
    assert len(data) == length, (len(data), length)
    assert crc == crc_reference(data), "CRC"
    text = data.decode("ascii")
    head, cp = text.split("CP=&&", 1)
    assert cp.endswith("&&")
    fields: dict[str, object] = dict(kv.split("=", 1) for kv in head.rstrip(";").split(";"))
    groups = {}
    for group in cp[:-2].split(";"):
        for item in group.split(","):
            key, value = item.split("=", 1)
            groups[key] = value
    fields["CP"] = groups
    return fields


def test_crc_matches_the_standards_own_example() -> None:
    # The example packet in HJ 212-2017 §6.6 (a request of the "set interval" command).
    example = (
        b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
        b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
    )
    assert parse(example)["CN"] == "1062"
    seg = example[6:-6].decode()
    assert codec.frame(seg) == example
    assert codec.parse_packet(example)["CP"] == "RtdInterval=30"
    with pytest.raises(codec.Hj212FormatError, match="CRC"):
        codec.parse_packet(example.replace(b"1C80", b"1C81"))


def minute(start: datetime, pm10: float | None, valid: bool = True) -> WindowMean:
    means = {} if pm10 is None else {"pm10": pm10, "pm2_5": pm10 / 2, "humidity": 55.0}
    return WindowMean(
        window="1min",
        start=start,
        end=start + timedelta(minutes=1),
        means=means,
        mins={k: v - 1 for k, v in means.items()},
        maxs={k: v + 1 for k, v in means.items()},
        samples=60 if valid else 0,
        expected=60,
        flags=() if valid else ("no_data",),
    )


def platform(port: int, edition: str = "2017", **kw: object) -> Hj212Platform:
    return Hj212Platform.model_validate(
        {"name": "city", "host": "127.0.0.1", "port": port, "edition": edition,
         "mn": "SG00000000000001", "password": "123456", "reply_timeout_s": 0.5,
         "retry_s": 0.1, **kw}
    )  # fmt: skip


class Platform:
    """A small HJ 212 platform: parses each packet independently and answers CN=9014."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[dict[str, object]] = []
        self.bad: list[bytes] = []
        self.silent_for = 0  # packets to take without replying (a platform that lost them)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", port))
        self._sock.settimeout(0.2)
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\r\n" in buf:
                    packet, buf = buf.split(b"\r\n", 1)
                    self._handle(conn, packet + b"\r\n")

    def _handle(self, conn: socket.socket, packet: bytes) -> None:
        try:
            fields = parse(packet)
        except AssertionError:
            self.bad.append(packet)
            return
        with self._lock:
            self.received.append(fields)
            if self.silent_for > 0:
                self.silent_for -= 1
                return
        reply = (
            f"QN={fields['QN']};ST=91;CN=9014;PW={fields['PW']};MN={fields['MN']};Flag=4;CP=&&&&"
        )
        data = reply.encode()
        conn.sendall(b"##%04d%s%04X\r\n" % (len(data), data, crc_reference(data)))

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for c in self._conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()
        self._thread.join(5)


@pytest.fixture
def uploader(tmp_path: Path) -> Iterator[tuple[Hj212Uploader, int]]:
    port = free_port()
    up = Hj212Uploader(platform(port), tmp_path / "hj212-city.db", SHANGHAI)
    yield up, port
    up.stop()


def test_minute_and_hour_packets_carry_the_dust_codes() -> None:
    start = datetime(2026, 3, 2, 10, 15, tzinfo=SHANGHAI)
    p = platform(1)
    seg = codec.segment(
        codec.qn_of(start), p.st, codec.CN_MINUTE, "123456", p.mn, codec.flag(1, True),
        codec.data_cp(minute(start, 86.4), "ug/m3"),
    )  # fmt: skip
    fields = parse(codec.frame(seg))
    assert (fields["ST"], fields["CN"], fields["MN"], fields["Flag"]) == (
        "39", "2051", "SG00000000000001", "5"
    )  # fmt: skip
    cp = fields["CP"]
    assert cp["DataTime"] == "20260302101500"
    assert (cp["a34002-Avg"], cp["a34002-Min"], cp["a34002-Max"]) == ("86.4", "85.4", "87.4")
    assert (cp["a34004-Avg"], cp["a34002-Flag"], cp["a01002-Avg"]) == ("43.2", "N", "55.0")
    assert "a34001-Avg" not in cp  # this sensor has no TSP
    mg = codec.data_cp(minute(start, 86.4), "mg/m3")
    assert "a34002-Avg=0.086" in mg
    silent = codec.data_cp(minute(start, None, valid=False), "ug/m3")
    assert silent == "DataTime=20260302101500;a34002-Flag=B;a34004-Flag=B;a34001-Flag=B"
    # 2025 edition: different version bits in Flag, everything else framed the same.
    assert codec.flag(codec.EDITIONS["2025"].version_bits, True) == 9


def test_uploader_keeps_packets_until_confirmed_and_resends_after_an_outage(
    uploader: tuple[Hj212Uploader, int],
) -> None:
    up, port = uploader
    start = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    server = Platform(port)
    up.start()
    try:
        server.silent_for = 1  # the first packet is "lost" by the platform: no 9014
        assert up.enqueue(minute(start, 50.0))
        wait_until(lambda: up.confirmed == 1, 10, "the first packet confirmed after a resend")
        first, again = server.received[:2]
        assert first["QN"] == again["QN"] and first["CP"] == again["CP"]  # same bytes resent
    finally:
        server.close()

    # Platform down: three minutes of data wait on disk, in order.
    for i in range(1, 4):
        up.enqueue(minute(start + timedelta(minutes=i), 50.0 + i))
    wait_until(lambda: not up.connected, 10, "the uploader to notice the outage")
    assert up.store.depth() == 3
    assert up.health() == "down pending=3"

    server = Platform(port)
    try:
        wait_until(lambda: up.store.depth() == 0, 20, "the backlog to drain after the outage")
        times = [r["CP"]["DataTime"] for r in server.received]  # type: ignore[index]
        assert times == ["20260302100100", "20260302100200", "20260302100300"]
        assert server.bad == [] and up.confirmed == 4
        assert up.health() == "connected pending=0"
    finally:
        server.close()


def test_hour_data_and_window_selection(tmp_path: Path) -> None:
    port = free_port()
    up = Hj212Uploader(platform(port, "2025", minute_data=False), tmp_path / "q.db", SHANGHAI)
    try:
        start = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
        assert not up.enqueue(minute(start, 40.0))  # minute data off for this platform
        hour = WindowMean("1h", start, start + timedelta(hours=1), {"pm10": 40.0}, {"pm10": 30.0},
                          {"pm10": 60.0}, 3600, 3600, ())  # fmt: skip
        assert up.enqueue(hour)
        item = up.store.oldest()
        assert item is not None
        fields = parse(item.packet)
        assert (fields["CN"], fields["Flag"]) == ("2061", "9")
    finally:
        up.stop()
