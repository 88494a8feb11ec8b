"""Forward the site's minute and hourly dust data to one HJ 212 platform over TCP.

Stop-and-wait, oldest first: send one packet (Flag A=1, "reply wanted"), wait for the
platform's data reply (CN=9014 with the same QN), delete it from the durable queue, send the
next. No reply in time, or a broken connection, and the packet stays queued: the uploader
reconnects with backoff and sends the same bytes again, so after an outage the backlog goes
out in order. One packet a minute is far below what stop-and-wait can carry, and order and
exactly-one-outstanding keep the platform's view simple.

The connection stays open between packets, because platforms send their requests down it
(get/set time, real-time data, history extraction: edge/dust/hj212/requests.py). Requests
are read and answered whenever the uploader is not sending, including while it waits for a
9014; real-time data, when a platform asked for it, goes out every ``RtdInterval`` seconds
from the latest sample.
"""

import contextlib
import logging
import socket
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from edge.dust.hj212 import codec, requests
from edge.dust.hj212.history import History
from edge.dust.hj212.store import PacketStore
from edge.dust.samples import Sample
from edge.dust.windows import WindowMean
from firmware_config.dust import Hj212Platform

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0
POLL_S = 0.2  # how often an idle uploader looks at new data, real-time due and stop


class Hj212Uploader(threading.Thread):
    def __init__(self, platform: Hj212Platform, queue_path: Path, zone: ZoneInfo) -> None:
        super().__init__(name=f"hj212-{platform.name}", daemon=True)
        self.platform = platform
        self.zone = zone
        self.store = PacketStore(queue_path)
        edition = codec.EDITIONS[platform.edition]
        bits = platform.version_bits if platform.version_bits is not None else edition.version_bits
        self.flag = codec.flag(bits, needs_reply=True)
        self.history = History(queue_path.with_name(f"{queue_path.stem}-history.db"))
        self.station = requests.Station(
            platform.st, platform.password.get_secret_value(), platform.mn, bits, platform.unit,
            self.history, lambda: datetime.now(self.zone),
        )  # fmt: skip
        self._latest: tuple[datetime, Sample] | None = None
        self._rtd_due = 0.0
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.connected = False
        self.confirmed = 0
        self._sock: socket.socket | None = None
        self._rx = bytearray()
        self._last_qn = ""

    # -- queueing (monitor thread) --------------------------------------------------------

    def _next_qn(self) -> str:
        qn = codec.qn_of(datetime.now(self.zone))
        if qn <= self._last_qn:  # two packets in one millisecond: keep QN unique and rising
            qn = str(int(self._last_qn) + 1)
        self._last_qn = qn
        return qn

    def note_sample(self, at: datetime, sample: Sample) -> None:
        """The latest sample: what real-time data (CN 2011) reports when a platform asks."""
        self._latest = (at, sample)

    def enqueue(self, mean: WindowMean) -> bool:
        """Queue the packet for a closed window, if this platform takes that window.

        Minute and hourly means are kept for history requests whether or not they are sent.
        """
        self.history.add(mean)
        p = self.platform
        if mean.window == "1min" and p.minute_data:
            cn = codec.CN_MINUTE
        elif mean.window == "1h" and p.hour_data:
            cn = codec.CN_HOUR
        else:
            return False
        qn = self._next_qn()
        seg = codec.segment(
            qn, p.st, cn, p.password.get_secret_value(), p.mn, self.flag,
            codec.data_cp(mean, p.unit),
        )  # fmt: skip
        self.store.add(qn, cn, mean.start.isoformat(), codec.frame(seg), datetime.now(self.zone))
        self.wake.set()
        return True

    def health(self) -> str:
        text = f"{'connected' if self.connected else 'down'} pending={self.store.depth()}"
        offset = self.station.clock_offset_s
        if offset is not None and abs(offset) > requests.CLOCK_TOLERANCE_S:
            text += f" platform_clock={offset:+.0f}s"  # the gate keeps its own clock
        return text

    # -- sending (own thread) -------------------------------------------------------------

    def _connect(self) -> None:
        p = self.platform
        self._sock = socket.create_connection((p.host, p.port), timeout=p.reply_timeout_s)
        self._rx.clear()
        self.connected = True
        log.info("HJ 212 platform %s connected (%s:%d)", p.name, p.host, p.port)

    def _disconnect(self) -> None:
        self.connected = False
        self.station.rtd_on = False  # a platform asks again on its next connection
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _take(self, qn: str | None = None) -> bool:
        """Handle every complete packet received: answer requests; True on the 9014 for ``qn``."""
        assert self._sock is not None
        confirmed = False
        for packet in codec.split_packets(self._rx):
            try:
                fields = codec.parse_packet(packet)
            except codec.Hj212FormatError:
                fields = {}
            cn = fields.get("CN")
            if cn == codec.CN_DATA_REPLY:
                confirmed = confirmed or (qn is not None and fields.get("QN") == qn)
                continue
            if cn in (requests.CN_REQUEST_REPLY, requests.CN_EXECUTION, requests.CN_NOTICE_REPLY):
                continue  # a platform's answer to a packet we did not ask it to answer
            for out in requests.answer(self.station, packet):
                self._sock.sendall(out)
            if self.station.rtd_on and cn == requests.CN_RTD:
                self._rtd_due = 0.0  # the first real-time packet right away
        return confirmed

    def _receive(self, timeout: float) -> None:
        """Read what arrives within ``timeout`` into the buffer (nothing is not an error)."""
        assert self._sock is not None
        self._sock.settimeout(max(timeout, 0.001))
        try:
            data = self._sock.recv(4096)
        except TimeoutError:
            return
        if not data:
            raise ConnectionResetError("platform closed the connection")
        self._rx += data

    def _await_reply(self, qn: str) -> None:
        """Read until the 9014 for ``qn`` arrives; TimeoutError after ``reply_timeout_s``."""
        deadline = time.monotonic() + self.platform.reply_timeout_s
        while not self._take(qn):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no 9014 for {qn}")
            self._receive(min(left, POLL_S))
            self._send_realtime()

    def _send_realtime(self) -> None:
        if not self.station.rtd_on or self._latest is None or self._sock is None:
            return
        now = time.monotonic()
        if now < self._rtd_due:
            return
        self._rtd_due = now + self.station.rtd_interval_s
        at, sample = self._latest
        self._sock.sendall(requests.realtime_packet(self.station, sample, at))

    def _serve(self, seconds: float) -> None:
        """Answer the platform until ``seconds`` pass, new data is queued, or we stop."""
        deadline = time.monotonic() + seconds
        while not (self.stopping.is_set() or self.wake.is_set()):
            if self._sock is None:
                self._connect()
            self._take()
            self._send_realtime()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._receive(min(left, POLL_S))

    def _send_backlog(self) -> None:
        while not self.stopping.is_set():
            item = self.store.oldest()
            if item is None:
                return
            if self._sock is None:
                self._connect()
            assert self._sock is not None
            self.store.attempted(item.id)
            self._sock.sendall(item.packet)
            self._await_reply(item.qn)
            self.store.confirm(item.qn)
            self.confirmed += 1

    def run(self) -> None:
        backoff = self.platform.retry_s
        while not self.stopping.is_set():
            try:
                self._send_backlog()
                backoff = self.platform.retry_s
                self._serve(backoff)
                self.wake.clear()
            except OSError as exc:  # refused, reset, reply timeout (TimeoutError)
                self._disconnect()
                log.warning(
                    "HJ 212 platform %s: %s; %d packet(s) kept, retry in %.0fs",
                    self.platform.name,
                    type(exc).__name__,
                    self.store.depth(),
                    backoff,
                )
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.is_alive():
            self.join(timeout=self.platform.reply_timeout_s + 5)
        self._disconnect()
        self.store.close()
        self.history.close()
