"""Forward the site's minute and hourly dust data to one HJ 212 platform over TCP.

Stop-and-wait, oldest first: send one packet (Flag A=1, "reply wanted"), wait for the
platform's data reply (CN=9014 with the same QN), delete it from the durable queue, send the
next. No reply in time, or a broken connection, and the packet stays queued: the uploader
reconnects with backoff and sends the same bytes again, so after an outage the backlog goes
out in order. One packet a minute is far below what stop-and-wait can carry, and order and
exactly-one-outstanding keep the platform's view simple.
"""

import contextlib
import logging
import socket
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from edge.dust.hj212 import codec
from edge.dust.hj212.store import PacketStore
from edge.dust.windows import WindowMean
from firmware_config.dust import Hj212Platform

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0


class Hj212Uploader(threading.Thread):
    def __init__(self, platform: Hj212Platform, queue_path: Path, zone: ZoneInfo) -> None:
        super().__init__(name=f"hj212-{platform.name}", daemon=True)
        self.platform = platform
        self.zone = zone
        self.store = PacketStore(queue_path)
        edition = codec.EDITIONS[platform.edition]
        bits = platform.version_bits if platform.version_bits is not None else edition.version_bits
        self.flag = codec.flag(bits, needs_reply=True)
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

    def enqueue(self, mean: WindowMean) -> bool:
        """Queue the packet for a closed window, if this platform takes that window."""
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
        return f"{'connected' if self.connected else 'down'} pending={self.store.depth()}"

    # -- sending (own thread) -------------------------------------------------------------

    def _connect(self) -> None:
        p = self.platform
        self._sock = socket.create_connection((p.host, p.port), timeout=p.reply_timeout_s)
        self._rx.clear()
        self.connected = True
        log.info("HJ 212 platform %s connected (%s:%d)", p.name, p.host, p.port)

    def _disconnect(self) -> None:
        self.connected = False
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _await_reply(self, qn: str) -> None:
        """Read until the 9014 for ``qn`` arrives; TimeoutError after ``reply_timeout_s``."""
        assert self._sock is not None
        while True:
            for packet in codec.split_packets(self._rx):
                try:
                    fields = codec.parse_packet(packet)
                except codec.Hj212FormatError as exc:
                    log.warning("platform %s sent a bad packet: %s", self.platform.name, exc)
                    continue
                if fields.get("CN") == codec.CN_DATA_REPLY and fields.get("QN") == qn:
                    return
                log.debug("platform %s: ignoring CN=%s", self.platform.name, fields.get("CN"))
            data = self._sock.recv(4096)  # raises TimeoutError after reply_timeout_s
            if not data:
                raise ConnectionResetError("platform closed the connection")
            self._rx += data

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
                self.wake.wait(timeout=backoff)
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
