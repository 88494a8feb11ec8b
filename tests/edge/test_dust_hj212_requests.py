"""Platform-initiated HJ 212-2017 requests, sent by a test platform over a real TCP socket.

The platform side here encodes its requests and decodes the gate's answers with its own code
(framing, length, CRC as in the standard's appendix), not the gate's codec; the gate is the
real uploader thread with its real history file.
"""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import free_port, wait_until
from edge.dust.clock import ManualClock
from edge.dust.hj212.uploader import Hj212Uploader
from edge.dust.monitor import DustMonitor
from edge.dust.samples import Sample
from edge.dust.windows import WindowMean
from edge.outbox import Outbox
from firmware_config.dust import DustConfig, Hj212Platform

SHANGHAI = ZoneInfo("Asia/Shanghai")
MN, PW = "SG00000000000001", "123456"


def crc16(data: bytes) -> int:
    """HJ 212-2017 appendix A, written out again for the platform side."""
    register = 0xFFFF
    for value in data:
        register = ((register >> 8) & 0xFF) ^ value
        for _ in range(8):
            register = (register >> 1) ^ 0xA001 if register & 1 else register >> 1
    return register


def encode(segment: str, corrupt: bool = False) -> bytes:
    data = segment.encode("ascii")
    crc = crc16(data) ^ (1 if corrupt else 0)
    return b"##" + f"{len(data):04d}".encode() + data + f"{crc:04X}".encode() + b"\r\n"


def decode(packet: bytes) -> dict[str, Any]:
    assert packet[:2] == b"##" and packet[-2:] == b"\r\n", packet
    length = int(packet[2:6])
    data, crc = packet[6:-6], packet[-6:-2]
    assert len(data) == length and int(crc, 16) == crc16(data), packet
    head, _, cp = data.decode("ascii").partition(";CP=&&")
    assert cp.endswith("&&"), packet
    fields: dict[str, Any] = dict(item.split("=", 1) for item in head.split(";"))
    values = {}
    for item in cp[:-2].replace(",", ";").split(";"):
        if item:
            key, value = item.split("=", 1)
            values[key] = value
    fields["CP"] = values
    return fields


class TestPlatform:
    """Accepts the gate's connection, sends requests, collects every packet the gate sends."""

    __test__ = False

    def __init__(self, port: int) -> None:
        self.server = socket.create_server(("127.0.0.1", port))
        self.server.settimeout(10)
        self.conn: socket.socket | None = None
        self.received: list[dict[str, Any]] = []
        self._seq = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.conn, _ = self.server.accept()
        except OSError:
            return
        buf = b""
        while True:
            try:
                data = self.conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\r\n" in buf:
                packet, buf = buf.split(b"\r\n", 1)
                self.received.append(decode(packet + b"\r\n"))

    def request(
        self,
        cn: str,
        cp: str = "",
        flag: int = 5,
        pw: str = PW,
        mn: str = MN,
        corrupt: bool = False,
    ) -> str:
        self._seq += 1
        qn = f"20260302100000{self._seq:03d}"
        segment = f"QN={qn};ST=32;CN={cn};PW={pw};MN={mn};Flag={flag};CP=&&{cp}&&"
        assert self.conn is not None
        self.conn.sendall(encode(segment, corrupt))
        return qn

    def confirm(self, qn: str) -> None:
        """The platform's data reply (9014) to an uploaded packet."""
        assert self.conn is not None
        self.conn.sendall(encode(f"QN={qn};ST=91;CN=9014;PW={PW};MN={MN};Flag=4;CP=&&&&"))

    def answers(self, qn: str) -> list[dict[str, Any]]:
        return [p for p in self.received if p["QN"] == qn]

    def until(self, qn: str, last_cn: str) -> list[dict[str, Any]]:
        """The answers to ``qn`` once the one with ``last_cn`` has arrived."""
        wait_until(lambda: any(p["CN"] == last_cn for p in self.answers(qn)), 10, f"CN={last_cn}")
        return self.answers(qn)

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.shutdown(socket.SHUT_RDWR)
            self.conn.close()
        self.server.close()


def mean(window: str, start: datetime, pm10: float, valid: bool = True) -> WindowMean:
    span = {"1min": timedelta(minutes=1), "1h": timedelta(hours=1)}[window]
    if not valid:
        return WindowMean(window, start, start + span, {}, {}, {}, 0, 60, ("no_data",))
    return WindowMean(
        window, start, start + span, {"pm10": pm10}, {"pm10": pm10 - 5}, {"pm10": pm10 + 5}, 60, 60,
        (),
    )  # fmt: skip


def uploader(tmp_path: Path, port: int, **kw: object) -> Hj212Uploader:
    config = Hj212Platform.model_validate(
        {"name": "city", "host": "127.0.0.1", "port": port, "edition": "2017", "mn": MN,
         "password": PW, "minute_data": False, "hour_data": False, "retry_s": 0.2, **kw}
    )  # fmt: skip
    return Hj212Uploader(config, tmp_path / "hj212-city.db", SHANGHAI)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[Hj212Uploader, TestPlatform]]:
    port = free_port()
    platform = TestPlatform(port)
    up = uploader(tmp_path, port)
    day = datetime(2026, 3, 1, tzinfo=SHANGHAI)
    for m in range(5):  # 10:00 … 10:04 on 2 March
        up.enqueue(mean("1min", day + timedelta(days=1, hours=10, minutes=m), 40.0 + m))
    for h in range(24):  # the whole of 1 March, hour by hour; 2 March 00:00 too
        up.enqueue(mean("1h", day + timedelta(hours=h), 50.0 + h, valid=h != 3))
    up.enqueue(mean("1h", day + timedelta(days=1), 99.0))
    assert up.store.depth() == 0  # this platform takes no uploads: history only
    up.start()
    wait_until(lambda: platform.conn is not None, 10, "the gate to connect")
    yield up, platform
    up.stop()
    platform.close()


def cns(packets: list[dict[str, Any]]) -> list[object]:
    return [p["CN"] for p in packets]


def test_get_and_set_time(rig: tuple[Hj212Uploader, TestPlatform]) -> None:
    up, platform = rig
    qn = platform.request("1011")
    got = platform.until(qn, "9012")
    assert cns(got) == ["9011", "1011", "9012"]
    reply, data, done = got
    assert (reply["ST"], reply["Flag"], reply["CP"]) == ("91", "4", {"QnRtn": "1"})
    assert (reply["MN"], reply["PW"]) == (MN, PW)
    gate_time = datetime.strptime(str(data["CP"]["SystemTime"]), "%Y%m%d%H%M%S")
    now = datetime.now(SHANGHAI).replace(tzinfo=None)
    assert abs((gate_time - now).total_seconds()) < 5  # site local time
    assert done["CP"] == {"ExeRtn": "1"} and done["ST"] == "91"

    # A platform whose clock agrees: done. One an hour ahead: not done, and the gate says so.
    stamp = datetime.now(SHANGHAI).strftime("%Y%m%d%H%M%S")
    qn = platform.request("1012", f"SystemTime={stamp}")
    assert cns(platform.until(qn, "9012")) == ["9011", "9012"]
    assert platform.answers(qn)[-1]["CP"] == {"ExeRtn": "1"}
    ahead = (datetime.now(SHANGHAI) + timedelta(hours=1)).strftime("%Y%m%d%H%M%S")
    qn = platform.request("1012", f"SystemTime={ahead}")
    assert platform.until(qn, "9012")[-1]["CP"] == {"ExeRtn": "3"}
    assert "platform_clock=+3600s" in up.health() or "platform_clock=+3599s" in up.health()
    qn = platform.request("1012", "SystemTime=20261340250000")  # no 13th month
    assert platform.until(qn, "9012")[-1]["CP"] == {"ExeRtn": "3"}


def test_history_extraction_for_a_time_range(rig: tuple[Hj212Uploader, TestPlatform]) -> None:
    _up, platform = rig
    qn = platform.request("2051", "BeginTime=20260302100100;EndTime=20260302100300")
    got = platform.until(qn, "9012")
    assert cns(got) == ["9011", "2051", "2051", "2051", "9012"]
    rows = [(p["CP"]["DataTime"], p["CP"]["a34002-Avg"]) for p in got[1:4]]
    assert rows == [("20260302100100", "41.0"), ("20260302100200", "42.0"),
                    ("20260302100300", "43.0")]  # fmt: skip
    assert all(p["ST"] == "39" and p["Flag"] == "4" for p in got[1:4])
    assert got[-1]["CP"] == {"ExeRtn": "1"}

    qn = platform.request("2061", "BeginTime=20260301020000;EndTime=20260301040000")
    got = platform.until(qn, "9012")
    hours = [(p["CP"]["DataTime"], p["CP"].get("a34002-Avg"), p["CP"]["a34002-Flag"])
             for p in got if p["CN"] == "2061"]  # fmt: skip
    assert hours == [("20260301020000", "52.0", "N"), ("20260301030000", None, "B"),
                     ("20260301040000", "54.0", "N")]  # fmt: skip

    # Daily data from the hours of the local day: 23 valid hours (hour 3 had no data).
    qn = platform.request("2031", "BeginTime=20260301000000;EndTime=20260302235959")
    got = platform.until(qn, "9012")
    assert cns(got) == ["9011", "2031", "2031", "9012"]
    first, second = got[1]["CP"], got[2]["CP"]
    expected = sum(50.0 + h for h in range(24) if h != 3) / 23
    assert first["DataTime"] == "20260301000000"
    assert first["a34002-Avg"] == f"{expected:.1f}" and first["a34002-Min"] == "45.0"
    assert first["a34002-Max"] == "78.0" and first["a34002-Flag"] == "N"
    assert second["a34002-Flag"] == "B"  # one hour of 2 March: not a valid day

    # Nothing in the range: "no data"; a range that ends before it begins: bad conditions.
    qn = platform.request("2051", "BeginTime=20250101000000;EndTime=20250102000000")
    assert platform.until(qn, "9012")[-1]["CP"] == {"ExeRtn": "100"}
    qn = platform.request("2061", "BeginTime=20260302000000;EndTime=20260301000000")
    assert platform.until(qn, "9012")[-1]["CP"] == {"ExeRtn": "3"}
    qn = platform.request("2061", "EndTime=20260301000000")
    assert platform.until(qn, "9012")[-1]["CP"] == {"ExeRtn": "3"}


def test_real_time_data_on_demand_until_stopped(rig: tuple[Hj212Uploader, TestPlatform]) -> None:
    up, platform = rig
    qn = platform.request("1061")
    assert [p["CP"] for p in platform.until(qn, "9012")][1:] == [
        {"RtdInterval": "30"},
        {"ExeRtn": "1"},
    ]
    qn = platform.request("1062", "RtdInterval=60")
    assert platform.until(qn, "9012")[-1]["CP"] == {"ExeRtn": "1"}
    assert up.station.rtd_interval_s == 60
    qn = platform.request("1062", "RtdInterval=5")  # below the standard's 30 s
    assert platform.until(qn, "9012")[-1]["CP"] == {"ExeRtn": "3"}
    up.station.rtd_interval_s = 0.2  # faster than a platform may ask, to see two in a test
    up.note_sample(datetime(2026, 3, 2, 10, 5, 7, tzinfo=SHANGHAI), Sample(pm2_5=31.5, pm10=88.2))
    qn = platform.request("2011")
    assert cns(platform.until(qn, "9012")) == ["9011", "9012"]
    wait_until(lambda: sum(p["CN"] == "2011" for p in platform.received) >= 2, 10, "two uploads")
    rtd = next(p for p in platform.received if p["CN"] == "2011")
    assert rtd["CP"] == {"DataTime": "20260302100507", "a34002-Rtd": "88.2", "a34002-Flag": "N",
                         "a34004-Rtd": "31.5", "a34004-Flag": "N"}  # fmt: skip
    assert (rtd["ST"], rtd["Flag"]) == ("39", "4")  # no reply asked: not queued, not resent

    stop = platform.request("2012", flag=4)
    notice = platform.until(stop, "9013")
    assert cns(notice) == ["9013"] and not up.station.rtd_on
    stopped_at = len(platform.received)
    later = time.monotonic() + 3 * up.station.rtd_interval_s
    wait_until(lambda: time.monotonic() > later, 5, "three real-time intervals")
    qn = platform.request("1011")
    platform.until(qn, "9012")
    assert "2011" not in cns(platform.received[stopped_at:])


def test_refusals_carry_the_standards_codes(rig: tuple[Hj212Uploader, TestPlatform]) -> None:
    _up, platform = rig
    cases = [
        ({"pw": "654321"}, "3"),
        ({"mn": "SOMEONEELSE0001"}, "4"),
        ({"corrupt": True}, "9"),
        ({"flag": 7}, "6"),  # a split request
    ]
    for kwargs, code in cases:
        qn = platform.request("1011", **kwargs)  # type: ignore[arg-type]
        got = platform.until(qn, "9011")
        assert [(p["CN"], p["CP"]) for p in got] == [("9011", {"QnRtn": code})], kwargs
    qn = platform.request("3020", "PolId=a34002")  # a command this station does not take
    assert platform.until(qn, "9011")[-1]["CP"] == {"QnRtn": "2"}

    # Without Flag bit A the request is executed without a request response.
    qn = platform.request("1011", flag=4)
    assert cns(platform.until(qn, "9012")) == ["1011", "9012"]


def test_requests_are_answered_while_an_upload_awaits_its_reply(tmp_path: Path) -> None:
    port = free_port()
    platform = TestPlatform(port)
    up = uploader(tmp_path, port, minute_data=True, reply_timeout_s=30)
    try:
        up.start()
        up.enqueue(mean("1min", datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), 40.0))
        wait_until(lambda: cns(platform.received) == ["2051"], 10, "the upload")
        uploaded = platform.received[0]
        assert uploaded["Flag"] == "5" and up.store.depth() == 1  # awaiting its 9014

        qn = platform.request("1011")
        assert cns(platform.until(qn, "9012")) == ["9011", "1011", "9012"]
        assert up.store.depth() == 1 and up.confirmed == 0

        platform.confirm(str(uploaded["QN"]))
        wait_until(lambda: up.confirmed == 1, 10, "the upload confirmed")
        assert up.store.depth() == 0
    finally:
        up.stop()
        platform.close()


def test_the_monitor_hands_its_samples_and_windows_to_the_platform(tmp_path: Path) -> None:
    port = free_port()
    platform = TestPlatform(port)
    cfg = DustConfig.model_validate(
        {"sensor": {"driver": "sds011", "port": "/dev/null"}, "warmup_s": 0,
         "hj212": [{"name": "city", "host": "127.0.0.1", "port": port, "edition": "2017",
                    "mn": MN, "password": PW, "minute_data": False, "hour_data": False}]}
    )  # fmt: skip
    outbox = Outbox(tmp_path / "outbox.db", "site-d", "gate-d", b"k" * 16, SHANGHAI)
    clock = ManualClock(datetime(2026, 3, 2, 10, 0, 0, 500000, tzinfo=SHANGHAI))
    monitor = DustMonitor(cfg, outbox, SHANGHAI, clock=clock, queue_dir=tmp_path)
    [up] = monitor.uploaders
    up.start()
    try:
        wait_until(lambda: platform.conn is not None, 10, "the gate to connect")
        monitor.averager.start(clock(), 0)
        for _ in range(60):
            monitor.step([Sample(pm2_5=35.0, pm10=70.0)])
            clock.advance(seconds=1)
        monitor.step([])  # 10:01:00.5: the first minute closes
        qn = platform.request("2011")
        platform.until(qn, "9012")
        wait_until(lambda: "2011" in cns(platform.received), 10, "real-time data")
        rtd = next(p for p in platform.received if p["CN"] == "2011")
        assert rtd["CP"]["a34002-Rtd"] == "70.0" and rtd["CP"]["DataTime"] == "20260302100059"
        qn = platform.request("2051", "BeginTime=20260302100000;EndTime=20260302100000")
        minute = platform.until(qn, "9012")[1]
        assert (minute["CN"], minute["CP"]["a34002-Avg"]) == ("2051", "70.0")
    finally:
        up.stop()
        outbox.close()
        platform.close()
